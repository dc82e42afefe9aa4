package dev.ddpm.trainer.rest;

import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.json.Json;
import dev.ddpm.service.rest.Problems;
import dev.ddpm.trainer.export.InvalidExportException;
import dev.ddpm.trainer.export.UnsupportedBlockException;
import dev.ddpm.trainer.service.TrainingService;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;

/**
 * On-demand export: {@code POST /v1/exports {"runId": ..., "model": ..., "weights": "ema"}} publishes
 * the run's newest checkpoint as a new model version and answers 201 with its manifest. Errors are
 * problem+json with the reason: 400 malformed body, 404 no such run, 422 the graph failed its check,
 * 503 the object store or broker is away (nothing is left published in any of these cases). A refused
 * export is logged: the operator who asked needs the reason beside the run's own log.
 */
@Path("/v1/exports")
public class ExportResource {

    private static final Logger LOG = Logger.getLogger(ExportResource.class);

    private final TrainingService training;

    public ExportResource(TrainingService training) {
        this.training = training;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces({MediaType.APPLICATION_JSON, Problems.MEDIA_TYPE})
    public Response export(ExportRequest request) {
        ModelManifest manifest;
        try {
            manifest = training.export(
                    request.runId(), request.model(), request.weights().equals("ema"));
        } catch (InvalidExportException | UnsupportedBlockException e) {
            LOG.warnf("export of run %s refused: %s", request.runId(), e.getMessage());
            throw e;
        }
        return Response.status(201)
                .type(MediaType.APPLICATION_JSON)
                .entity(Json.write(manifest))
                .build();
    }
}
