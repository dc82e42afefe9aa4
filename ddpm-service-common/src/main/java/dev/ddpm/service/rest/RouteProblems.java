package dev.ddpm.service.rest;

import dev.ddpm.core.json.Json;
import dev.ddpm.service.error.Problem;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.quarkus.vertx.http.runtime.RouteConstants;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.util.Locale;

/**
 * Problems answered by the HTTP server itself, below the REST layer and its exception mapper: a
 * request the router fails before any resource sees it (a path that is no valid URI, such as
 * {@code /v1/models/%ZZ}) is answered with problem+json rather than an empty body, and route
 * handlers that refuse a request write their problem with {@link #answer}.
 */
@ApplicationScoped
public class RouteProblems {

    void install(@Observes Router router) {
        router.route().order(RouteConstants.ROUTE_ORDER_ACCESS_LOG_HANDLER).failureHandler(RouteProblems::failed);
    }

    private static void failed(RoutingContext context) {
        int status = context.statusCode();
        if (status < 400 || status > 499 || context.response().headWritten()) {
            context.next(); // a server failure, or an answer already on its way: the default handling
            return;
        }
        String reason = HttpResponseStatus.valueOf(status).reasonPhrase().toLowerCase(Locale.ROOT);
        answer(
                context,
                Problem.of(
                        status,
                        reason,
                        status == 400
                                ? "the request is not valid HTTP here (a path that is no valid URI, a malformed header)"
                                : "the request was refused (" + status + ")"));
    }

    /**
     * Answers the request with the problem, unless an answer has begun. The HTTP/1 connection is then
     * closed: whatever body the client still sends is never read.
     */
    public static void answer(RoutingContext context, Problem problem) {
        HttpServerResponse response = context.response();
        if (response.headWritten()) {
            return;
        }
        response.setStatusCode(problem.status()).putHeader(HttpHeaders.CONTENT_TYPE, Problems.MEDIA_TYPE);
        if (problem.retryAfter() != null) {
            response.putHeader("Retry-After", Long.toString(problem.retryAfterSeconds()));
        }
        if (context.request().version() != HttpVersion.HTTP_2) {
            response.putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
        }
        response.end(Buffer.buffer(Json.write(problem.body())));
    }
}
