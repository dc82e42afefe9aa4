package dev.ddpm.service.rest;

import dev.ddpm.core.json.Json;
import dev.ddpm.service.error.Problem;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;

/**
 * Problems answered below the REST layer and its exception mapper, by route handlers that refuse a
 * request before any resource sees it: the same problem+json the mapper writes.
 */
public final class RouteProblems {

    private RouteProblems() {}

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
