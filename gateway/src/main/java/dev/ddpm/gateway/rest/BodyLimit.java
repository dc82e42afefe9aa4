package dev.ddpm.gateway.rest;

import dev.ddpm.gateway.config.GatewayConfig;
import dev.ddpm.service.error.Problem;
import dev.ddpm.service.rest.RouteProblems;
import io.quarkus.vertx.http.runtime.RouteConstants;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.util.Set;

/**
 * Request bodies bounded before any resource reads them, with problem+json answers: a data set upload
 * beyond {@code gateway.max-upload-bytes}, any other body (small JSON) beyond {@code
 * gateway.max-json-bytes}. A declared length is checked before a byte is read (413); a JSON body of
 * undeclared length is refused over HTTP/1 (411, chunked) and counted as it is read over HTTP/2, where
 * a body need declare nothing ({@link CountedBody}).
 * An upload of undeclared length is counted while it streams to S3 ({@code DatasetUploads}). This
 * runs ahead of the HTTP server's own backstop ({@code quarkus.http.limits.max-body-size}), whose
 * answer would carry no problem. gRPC calls, which share the port, have their own message bound.
 */
@ApplicationScoped
public class BodyLimit {

    private static final Set<HttpMethod> WITH_BODY = Set.of(HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH);

    private final GatewayConfig config;

    public BodyLimit(GatewayConfig config) {
        this.config = config;
    }

    void install(@Observes Router router) {
        router.route().order(RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT - 1).handler(this::bound);
    }

    private void bound(RoutingContext context) {
        HttpServerRequest request = context.request();
        String contentType = request.getHeader(HttpHeaders.CONTENT_TYPE);
        if (!WITH_BODY.contains(request.method())
                || (contentType != null && contentType.startsWith("application/grpc"))) {
            context.next();
            return;
        }
        boolean upload = isUpload(request.path());
        long limit = upload ? config.maxUploadBytes() : config.maxJsonBytes();
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null) {
            declared(context, length, upload, limit);
        } else if (upload) {
            context.next(); // counted while it streams
        } else if (request.version() != HttpVersion.HTTP_2) {
            if (request.getHeader(HttpHeaders.TRANSFER_ENCODING) != null) {
                RouteProblems.answer(
                        context,
                        Problem.of(
                                411,
                                "length required",
                                "a request body here is JSON of at most " + limit
                                        + " bytes, sent with Content-Length"));
            } else {
                context.next(); // HTTP/1 without either header: no body
            }
        } else {
            context.next(); // HTTP/2 declares nothing: counted as it is read (CountedBody)
        }
    }

    private static void declared(RoutingContext context, String length, boolean upload, long limit) {
        long bytes;
        try {
            bytes = Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            RouteProblems.answer(
                    context,
                    Problem.of(400, "invalid Content-Length", "Content-Length '" + length + "' is not a number"));
            return;
        }
        if (bytes <= limit) {
            context.next();
        } else if (upload) {
            RouteProblems.answer(
                    context,
                    Problem.of(
                            413,
                            "upload too large",
                            "uploads are limited to " + limit + " bytes (gateway.max-upload-bytes); this one has "
                                    + bytes + "; nothing was stored"));
        } else {
            RouteProblems.answer(context, jsonTooLarge(limit, "this one has " + bytes));
        }
    }

    static Problem jsonTooLarge(long limit, String which) {
        return Problem.of(
                413,
                "request body too large",
                "JSON bodies are limited to " + limit + " bytes (gateway.max-json-bytes); " + which);
    }

    static boolean isUpload(String path) {
        return path.startsWith("/v1/datasets/") && path.indexOf('/', "/v1/datasets/".length()) < 0;
    }
}
