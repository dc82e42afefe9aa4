package dev.ddpm.gateway.auth;

import dev.ddpm.service.rest.Problems;
import jakarta.annotation.Priority;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.ext.Provider;

import java.util.Locale;
import java.util.Optional;

/**
 * API keys on every {@code /v1/} call ({@code X-API-Key}, or {@code Authorization: Bearer}): 401
 * without a valid key, 403 without the scope the route needs, 429 with Retry-After beyond the key's
 * rate. Health, metrics, the API document and the web page stay open.
 */
@Provider
@Priority(Priorities.AUTHENTICATION)
public class AuthFilter implements ContainerRequestFilter {

    public static final String CALLER = "ddpm.caller";

    private final ApiKeys keys;
    private final RateLimiter limiter;

    public AuthFilter(ApiKeys keys, RateLimiter limiter) {
        this.keys = keys;
        this.limiter = limiter;
    }

    @Override
    public void filter(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (!path.startsWith("/v1/") && !path.equals("/v1")) {
            return;
        }
        Optional<Caller> caller = keys.identify(presentedKey(request));
        if (caller.isEmpty()) {
            request.abortWith(Problems.builder(
                            401,
                            "unauthenticated",
                            "send a valid API key in the X-API-Key header (or Authorization: Bearer)")
                    .header("WWW-Authenticate", "Bearer realm=\"ddpm\"")
                    .build());
            return;
        }
        Scope needed = scopeFor(path, request.getMethod());
        if (!caller.get().may(needed)) {
            request.abortWith(Problems.problem(
                    403,
                    "forbidden",
                    "API key '" + caller.get().keyId() + "' lacks the '"
                            + needed.name().toLowerCase(Locale.ROOT) + "' scope this call needs"));
            return;
        }
        long wait = limiter.tryAcquire(caller.get().keyId());
        if (wait > 0) {
            request.abortWith(Problems.builder(
                            429,
                            "rate limit exceeded",
                            "API key '" + caller.get().keyId() + "' is over its rate; retry after " + wait + " s")
                    .header("Retry-After", wait)
                    .build());
            return;
        }
        request.setProperty(CALLER, caller.get());
    }

    /** The caller the filter identified (every request when auth is off). */
    public static Caller caller(ContainerRequestContext request) {
        Object caller = request.getProperty(CALLER);
        return caller instanceof Caller c ? c : Caller.ANONYMOUS_ADMIN;
    }

    static String presentedKey(ContainerRequestContext request) {
        return ApiKeys.presented(request.getHeaderString("X-API-Key"), request.getHeaderString("Authorization"));
    }

    /**
     * Training, data sets and changing models (promote, roll back, canary, policy, delete) need
     * "train"; dependency details "admin"; sampling and reading models "sample". Changing a model, a
     * data set or a run also needs its owner or an admin, checked where it is changed.
     */
    static Scope scopeFor(String path, String method) {
        if (path.startsWith("/v1/dependencies")) {
            return Scope.ADMIN;
        }
        if (path.startsWith("/v1/trainings") || path.startsWith("/v1/datasets")) {
            return Scope.TRAIN;
        }
        if (path.startsWith("/v1/models") && !"GET".equals(method) && !"HEAD".equals(method)) {
            return Scope.TRAIN;
        }
        return Scope.SAMPLE;
    }
}
