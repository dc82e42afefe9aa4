package dev.ddpm.trainer.rest;

import dev.ddpm.core.messaging.MessagingException;
import dev.ddpm.core.storage.ObjectNotFoundException;
import dev.ddpm.service.rest.Problems;
import dev.ddpm.trainer.checkpoint.NoUsableCheckpointException;
import dev.ddpm.trainer.export.InvalidExportException;
import dev.ddpm.trainer.export.UnsupportedBlockException;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** The trainer's exceptions as problem+json, written once for every resource. */
public class TrainerExceptionMapper {

    private static final Logger LOG = Logger.getLogger(TrainerExceptionMapper.class);

    @ServerExceptionMapper
    public Response noCheckpoint(NoUsableCheckpointException e) {
        return Problems.problem(404, "no usable checkpoint", e.getMessage());
    }

    @ServerExceptionMapper
    public Response notFound(ObjectNotFoundException e) {
        return Problems.problem(404, "not found", e.getMessage());
    }

    /** 422: the network cannot be published as it is; 503 when only the announcement failed. */
    @ServerExceptionMapper
    public Response exportRefused(InvalidExportException e) {
        LOG.warnf("export refused: %s", e.getMessage());
        return Problems.problem(e.getCause() instanceof MessagingException ? 503 : 422, "export refused", e.getMessage());
    }

    @ServerExceptionMapper
    public Response unsupported(UnsupportedBlockException e) {
        LOG.warnf("export refused: %s", e.getMessage());
        return Problems.problem(422, "export refused", e.getMessage());
    }
}
