package dev.ddpm.service.auth;

import dev.ddpm.service.rest.Problems;
import jakarta.annotation.Priority;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.ext.Provider;

/**
 * The operator key on every {@code /v1/} route of a service that requires it (401 problem+json
 * without it); health, metrics and the API document stay open.
 */
@Provider
@Priority(Priorities.AUTHENTICATION)
public class OperatorAuthFilter implements ContainerRequestFilter {

    private final OperatorKey key;

    public OperatorAuthFilter(OperatorKey key) {
        this.key = key;
    }

    @Override
    public void filter(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (!key.required() || !(path.startsWith("/v1/") || path.equals("/v1"))) {
            return;
        }
        String refusal = key.refusal(request.getHeaderString(OperatorKey.HEADER));
        if (refusal != null) {
            request.abortWith(Problems.builder(401, "operator key required", refusal)
                    .header("WWW-Authenticate", "OperatorKey")
                    .build());
        }
    }
}
