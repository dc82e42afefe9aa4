package dev.ddpm.service.rest;

import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.messaging.MessagingException;
import dev.ddpm.core.storage.StorageException;
import jakarta.ws.rs.NotAcceptableException;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.util.Map;
import java.util.UUID;

/**
 * The HTTP layer's own refusals (no route, wrong method, wrong content type, nothing acceptable), a
 * body that fails its contract, the object store or broker away, and anything unexpected, as problem+json for every service: never an
 * empty body, never a stack trace or an internal address. Each service maps its own exceptions beside
 * these, in one mapper class of its own.
 */
public class HttpProblems {

    private static final Logger LOG = Logger.getLogger(HttpProblems.class);

    @ServerExceptionMapper
    public Response notFound(NotFoundException e, UriInfo uri) {
        return Problems.problem(404, "not found", "no resource at " + uri.getPath());
    }

    @ServerExceptionMapper
    public Response notAllowed(NotAllowedException e, jakarta.ws.rs.container.ContainerRequestContext request) {
        String allow = e.getResponse().getHeaderString(HttpHeaders.ALLOW);
        Response.ResponseBuilder answer = Problems.builder(405, "method not allowed", request.getMethod() + " is not "
                + "allowed on " + request.getUriInfo().getPath() + (allow == null ? "" : " (allowed: " + allow + ")"));
        if (allow != null) {
            answer.header(HttpHeaders.ALLOW, allow);
        }
        return answer.build();
    }

    @ServerExceptionMapper
    public Response unsupported(NotSupportedException e, HttpHeaders headers) {
        return Problems.problem(415, "unsupported media type", "content type '"
                + (headers.getMediaType() == null ? "none" : headers.getMediaType()) + "' is not accepted here");
    }

    @ServerExceptionMapper
    public Response notAcceptable(NotAcceptableException e) {
        return Problems.problem(406, "not acceptable", "none of the media types in Accept can be produced here");
    }

    /** A body or parameter that failed its contract: 400, naming the field when one is at fault. */
    @ServerExceptionMapper
    public Response invalid(InvalidPayloadException e) {
        return Problems.invalid("invalid request", e);
    }

    /** The object store is away or refused: the request may succeed later; nothing was half-done. */
    @ServerExceptionMapper
    public Response storage(StorageException e) {
        return Problems.problem(503, "object store unavailable", e.getMessage());
    }

    @ServerExceptionMapper
    public Response broker(MessagingException e) {
        return Problems.problem(503, "broker unavailable", e.getMessage());
    }

    /** Any other status the framework raises, with its reason phrase; 5xx are logged with an id. */
    @ServerExceptionMapper
    public Response webApplication(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        Response.Status.Family family = Response.Status.Family.familyOf(status);
        if (family == Response.Status.Family.SERVER_ERROR) {
            return internal(e);
        }
        String reason = e.getResponse().getStatusInfo().getReasonPhrase();
        return Problems.problem(status, reason == null ? "error" : reason.toLowerCase(java.util.Locale.ROOT),
                "the request was refused (" + status + ")");
    }

    @ServerExceptionMapper
    public Response unexpected(RuntimeException e) {
        return internal(e);
    }

    private static Response internal(Throwable e) {
        String id = UUID.randomUUID().toString();
        LOG.errorf(e, "request failed (error id %s)", id);
        return Problems.builder(500, "internal error", "the service failed to answer; error id " + id
                + " is in its log", Map.of("errorId", id)).build();
    }
}
