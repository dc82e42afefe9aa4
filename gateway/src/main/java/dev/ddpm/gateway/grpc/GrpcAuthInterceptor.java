package dev.ddpm.gateway.grpc;

import dev.ddpm.gateway.auth.ApiKeys;
import dev.ddpm.gateway.auth.Caller;
import dev.ddpm.gateway.auth.RateLimiter;
import dev.ddpm.gateway.auth.Scope;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Set;

/**
 * The HTTP API's rules for the public gRPC service: an API key in the {@code x-api-key} metadata (or
 * {@code authorization: Bearer}), UNAUTHENTICATED without one, PERMISSION_DENIED without the method's
 * scope, RESOURCE_EXHAUSTED (trailer {@code retry-after-ms}) beyond the key's rate. Health and
 * reflection stay open.
 */
@GlobalInterceptor
@ApplicationScoped
public class GrpcAuthInterceptor implements ServerInterceptor {

    public static final Context.Key<Caller> CALLER = Context.key("ddpm-caller");
    static final String SERVICE = "ddpm.gateway.v1.DdpmService";
    private static final Metadata.Key<String> API_KEY = Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> RETRY_AFTER = Metadata.Key.of("retry-after-ms", Metadata.ASCII_STRING_MARSHALLER);
    private static final Set<String> TRAINING_METHODS = Set.of("StartTraining", "GetTraining", "WatchTraining",
            "UploadDataset", "ListDatasets");

    private final ApiKeys keys;
    private final RateLimiter limiter;

    public GrpcAuthInterceptor(ApiKeys keys, RateLimiter limiter) {
        this.keys = keys;
        this.limiter = limiter;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (!SERVICE.equals(call.getMethodDescriptor().getServiceName())) {
            return next.startCall(call, headers);
        }
        Caller caller = keys.identify(ApiKeys.presented(headers.get(API_KEY), headers.get(AUTHORIZATION))).orElse(null);
        if (caller == null) {
            return refuse(call, Status.UNAUTHENTICATED.withDescription("send a valid API key in the x-api-key metadata"),
                    new Metadata());
        }
        String method = call.getMethodDescriptor().getBareMethodName();
        Scope needed = TRAINING_METHODS.contains(method) ? Scope.TRAIN : Scope.SAMPLE;
        if (!caller.may(needed)) {
            return refuse(call, Status.PERMISSION_DENIED.withDescription("API key '" + caller.keyId() + "' lacks the '"
                    + needed.name().toLowerCase(java.util.Locale.ROOT) + "' scope " + method + " needs"), new Metadata());
        }
        long wait = limiter.tryAcquire(caller.keyId());
        if (wait > 0) {
            Metadata trailers = new Metadata();
            trailers.put(RETRY_AFTER, Long.toString(wait * 1000));
            return refuse(call, Status.RESOURCE_EXHAUSTED.withDescription("API key '" + caller.keyId()
                    + "' is over its rate; retry after " + wait + " s"), trailers);
        }
        return Contexts.interceptCall(Context.current().withValue(CALLER, caller), call, headers, next);
    }

    private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Status status, Metadata trailers) {
        call.close(status, trailers);
        return new ServerCall.Listener<>() {
        };
    }
}
