package dev.ddpm.gateway.rest;

import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.TrainingConfig;
import dev.ddpm.core.events.TrainingRequested;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.messaging.EventPublisher;
import dev.ddpm.core.messaging.MessagingException;
import dev.ddpm.core.model.BetaSchedule;
import dev.ddpm.core.model.DiffusionConfig;
import dev.ddpm.core.model.PredictionType;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.StorageException;
import dev.ddpm.core.storage.StoredObject;
import dev.ddpm.gateway.auth.AuthFilter;
import dev.ddpm.gateway.auth.Caller;
import dev.ddpm.gateway.service.TrainingRuns;
import dev.ddpm.service.rest.Problems;
import io.smallrye.mutiny.Multi;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;

import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Training runs: {@code POST /v1/trainings} asks a trainer (TrainingRequested) and answers 202 with
 * the run id; {@code GET /v1/trainings/{id}} its state (from the trainers' events), {@code .../events}
 * the same as server-sent events until it ends, {@code .../grid.png} its newest sample grid.
 */
@Path("/v1/trainings")
@Produces(MediaType.APPLICATION_JSON)
public class TrainingResource {

    private final EventPublisher events;
    private final ArtifactStore store;
    private final TrainingRuns runs;

    public TrainingResource(EventPublisher events, ArtifactStore store, TrainingRuns runs) {
        this.events = events;
        this.store = store;
        this.runs = runs;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Response start(byte[] json, @Context ContainerRequestContext request) {
        TrainingBody body;
        try {
            body = Json.read(json, TrainingBody.class);
        } catch (InvalidPayloadException e) {
            return Problems.invalid("invalid training request", e);
        }
        try {
            if (store.list(Buckets.DATASETS, body.dataset() + "/").isEmpty()) {
                return Problems.problem(404, "unknown data set", "data set '" + body.dataset() + "' has no objects; upload "
                        + "it with POST /v1/datasets/" + body.dataset());
            }
            String runId = body.modelName() + "-" + LocalDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern(
                    "yyyyMMdd-HHmmss")) + "-" + UUID.randomUUID().toString().substring(0, 4);
            DiffusionConfig diffusion = new DiffusionConfig(body.timesteps(),
                    BetaSchedule.valueOf(body.schedule().toUpperCase(Locale.ROOT)), null, null, null, null,
                    body.predictionType().equals("v") ? PredictionType.V : PredictionType.EPSILON);
            Caller caller = (Caller) request.getProperty(AuthFilter.CALLER);
            TrainingRequested requested = new TrainingRequested(runId, body.dataset(), new TrainingConfig(body.modelName(),
                    body.preset(), null, diffusion, body.steps(), body.batchSize(), body.learningRate(), body.warmupSteps(),
                    body.emaDecay(), body.seed(), body.checkpointEvery()), body.resumeFrom(),
                    caller == null ? null : caller.keyId());
            events.publishAndWait(CloudEvent.of(events.source(), requested), Duration.ofSeconds(30));
            runs.requested(runId, body.modelName());
            return Response.accepted(Map.of("runId", runId, "status", "/v1/trainings/" + runId,
                    "events", "/v1/trainings/" + runId + "/events")).build();
        } catch (InvalidPayloadException e) {
            return Problems.invalid("invalid training request", e);
        } catch (StorageException | MessagingException e) {
            return Problems.problem(503, "dependency unavailable", e.getMessage());
        }
    }

    @GET
    public java.util.List<Map<String, Object>> list() {
        return runs.all().stream().map(TrainingResource::view).toList();
    }

    @GET
    @Path("/{id}")
    public Response get(@PathParam("id") String id) {
        Response invalid = ModelResource.checkNames(id, null);
        if (invalid != null) {
            return invalid;
        }
        return runs.get(id).map(run -> Response.ok(view(run)).build())
                .orElseGet(() -> Problems.problem(404, "unknown training run", "no run '" + id + "' is known"));
    }

    @GET
    @Path("/{id}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    public Multi<OutboundSseEvent> events(@PathParam("id") String id, @Context Sse sse) {
        return runs.watch(id).map(run -> sse.newEventBuilder().name(run.state().name().toLowerCase(Locale.ROOT))
                .data(Json.writeCompact(view(run))).build());
    }

    @GET
    @Path("/{id}/grid.png")
    @Produces({"image/png", Problems.MEDIA_TYPE})
    public Response grid(@PathParam("id") String id) {
        Response invalid = ModelResource.checkNames(id, null);
        if (invalid != null) {
            return invalid;
        }
        return store.list(Buckets.CHECKPOINTS, id + "/samples/").stream()
                .max(Comparator.comparingLong(o -> step(o.key())))
                .map(StoredObject::key)
                .map(key -> Response.ok(store.get(Buckets.CHECKPOINTS, key), "image/png").build())
                .orElseGet(() -> Problems.problem(404, "no sample grid yet", "run '" + id + "' has stored no grid yet"));
    }

    private static long step(String key) {
        String digits = key.replaceAll(".*step-(\\d+)\\.png$", "$1");
        return digits.matches("\\d+") ? Long.parseLong(digits) : -1;
    }

    static Map<String, Object> view(TrainingRuns.Run run) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("runId", run.runId());
        view.put("modelName", run.modelName());
        view.put("state", run.state().name().toLowerCase(Locale.ROOT));
        view.put("step", run.step());
        view.put("totalSteps", run.totalSteps());
        view.put("loss", Double.isFinite(run.loss()) ? run.loss() : null);
        view.put("imagesPerSecond", run.imagesPerSecond());
        view.put("etaSeconds", run.etaSeconds());
        view.put("modelVersion", run.modelVersion());
        view.put("error", run.error());
        view.put("updatedAt", run.updatedAt().toString());
        view.put("gridUrl", "/v1/trainings/" + run.runId() + "/grid.png");
        return view;
    }
}
