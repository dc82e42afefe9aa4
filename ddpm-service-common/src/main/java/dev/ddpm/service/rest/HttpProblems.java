package dev.ddpm.service.rest;

import dev.ddpm.service.error.Problem;
import dev.ddpm.service.error.ProblemTranslation;
import jakarta.ws.rs.NotAcceptableException;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.util.Locale;

/**
 * The one exception mapper of every service: the HTTP layer's own refusals (no route, wrong method,
 * wrong content type, nothing acceptable), then every other exception as the {@link Problem}
 * {@link ProblemTranslation} makes of it (a service's own exceptions are {@link
 * dev.ddpm.service.error.ProblemSource}s), as problem+json: never an empty body, never a stack trace
 * or an internal address.
 */
public class HttpProblems {

    @ServerExceptionMapper
    public Response notFound(NotFoundException e, UriInfo uri) {
        return Problems.problem(404, "not found", "no resource at " + uri.getPath());
    }

    @ServerExceptionMapper
    public Response notAllowed(NotAllowedException e, jakarta.ws.rs.container.ContainerRequestContext request) {
        String allow = e.getResponse().getHeaderString(HttpHeaders.ALLOW);
        Response.ResponseBuilder answer = Problems.builder(
                405,
                "method not allowed",
                request.getMethod() + " is not " + "allowed on "
                        + request.getUriInfo().getPath() + (allow == null ? "" : " (allowed: " + allow + ")"));
        if (allow != null) {
            answer.header(HttpHeaders.ALLOW, allow);
        }
        return answer.build();
    }

    @ServerExceptionMapper
    public Response unsupported(NotSupportedException e, HttpHeaders headers) {
        return Problems.problem(
                415,
                "unsupported media type",
                "content type '" + (headers.getMediaType() == null ? "none" : headers.getMediaType())
                        + "' is not accepted here");
    }

    @ServerExceptionMapper
    public Response notAcceptable(NotAcceptableException e) {
        return Problems.problem(406, "not acceptable", "none of the media types in Accept can be produced here");
    }

    /**
     * Any other status the framework raises, with its reason phrase; 5xx are logged with an id, and
     * a status that is no error (a redirect) is answered as it is.
     */
    @ServerExceptionMapper
    public Response webApplication(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        Response.Status.Family family = Response.Status.Family.familyOf(status);
        if (family == Response.Status.Family.SERVER_ERROR) {
            return internal(e);
        }
        if (family != Response.Status.Family.CLIENT_ERROR) {
            return e.getResponse();
        }
        String reason = e.getResponse().getStatusInfo().getReasonPhrase();
        return Problems.problem(
                status,
                reason == null ? "error" : reason.toLowerCase(Locale.ROOT),
                "the request was refused (" + status + ")");
    }

    /** Everything else, a failed Uni included: a service's own exceptions, bad payloads, dependencies away. */
    @ServerExceptionMapper
    public Response problem(RuntimeException e) {
        return Problems.response(ProblemTranslation.of(e));
    }

    private static Response internal(Throwable e) {
        return Problems.response(ProblemTranslation.internal(e));
    }
}
