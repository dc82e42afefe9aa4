package dev.ddpm.gateway.rest;

import dev.ddpm.gateway.config.GatewayConfig;
import dev.ddpm.service.rest.Problems;
import jakarta.annotation.Priority;
import jakarta.enterprise.inject.Instance;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.ext.Provider;

/**
 * Bodies are refused by their declared length before they are read: a data set upload beyond
 * {@code gateway.max-upload-bytes}, any other body (small JSON) beyond {@code gateway.max-json-bytes},
 * with 413 problems; a JSON body of unknown length (chunked) with 411. A chunked upload is counted
 * while it streams to S3 ({@code DatasetUploads}). The HTTP server's own limit
 * ({@code quarkus.http.limits.max-body-size}) sits above both, as a backstop.
 */
@Provider
@PreMatching
@Priority(Priorities.AUTHENTICATION - 100)
public class BodyLimit implements ContainerRequestFilter {

    /** Looked up per request: REST filters are built before configuration mappings exist. */
    private final Instance<GatewayConfig> configuration;

    public BodyLimit(Instance<GatewayConfig> configuration) {
        this.configuration = configuration;
    }

    @Override
    public void filter(ContainerRequestContext request) {
        GatewayConfig config = configuration.get();
        String method = request.getMethod();
        if (!method.equals(HttpMethod.POST) && !method.equals(HttpMethod.PUT) && !method.equals(HttpMethod.PATCH)) {
            return;
        }
        boolean upload = isUpload(request.getUriInfo().getPath());
        String length = request.getHeaderString(HttpHeaders.CONTENT_LENGTH);
        long limit = upload ? config.maxUploadBytes() : config.maxJsonBytes();
        if (length == null) {
            if (upload) {
                return; // chunked: counted while it streams
            }
            if (request.getHeaderString("Transfer-Encoding") != null) {
                request.abortWith(Problems.problem(
                        411,
                        "length required",
                        "a request body here is JSON of at most " + limit + " bytes, sent with Content-Length"));
            }
            return;
        }
        long bytes;
        try {
            bytes = Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            request.abortWith(
                    Problems.problem(400, "invalid Content-Length", "Content-Length '" + length + "' is not a number"));
            return;
        }
        if (bytes > limit) {
            request.abortWith(
                    upload
                            ? Problems.problem(
                                    413,
                                    "upload too large",
                                    "uploads are limited to " + limit
                                            + " bytes (gateway.max-upload-bytes); this one has " + bytes
                                            + "; nothing was stored")
                            : Problems.problem(
                                    413,
                                    "request body too large",
                                    "JSON bodies are limited to " + limit
                                            + " bytes (gateway.max-json-bytes); this one has " + bytes));
        }
    }

    static boolean isUpload(String path) {
        return path.startsWith("/v1/datasets/") && path.indexOf('/', "/v1/datasets/".length()) < 0;
    }
}
