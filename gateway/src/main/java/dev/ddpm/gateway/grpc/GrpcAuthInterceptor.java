package dev.ddpm.gateway.grpc;

import dev.ddpm.gateway.auth.ApiKeys;
import dev.ddpm.gateway.auth.Caller;
import dev.ddpm.gateway.auth.RateLimiter;
import dev.ddpm.gateway.auth.Scope;
import dev.ddpm.gateway.service.GatewayException;
import dev.ddpm.gateway.service.Idempotency;
import dev.ddpm.service.error.Problem;
import dev.ddpm.service.grpc.GrpcProblems;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.Locale;
import java.util.Set;

/**
 * The HTTP API's rules for the public gRPC service: an API key in the {@code x-api-key} metadata (or
 * {@code authorization: Bearer}), UNAUTHENTICATED without one, PERMISSION_DENIED without the method's
 * scope, RESOURCE_EXHAUSTED (trailer {@code retry-after-ms}) beyond the key's rate: the HTTP API's
 * refusals, written by the shared {@link GrpcProblems}. Health and reflection stay open. The service
 * reads who calls through {@link #caller()}, and the {@code idempotency-key} metadata through
 * {@link #idempotencyKey()}.
 */
@GlobalInterceptor
@ApplicationScoped
public class GrpcAuthInterceptor implements ServerInterceptor {

    private static final Context.Key<Caller> CALLER = Context.key("ddpm-caller");
    private static final Context.Key<String> IDEMPOTENCY_KEY = Context.key("ddpm-idempotency-key");
    static final String SERVICE = "ddpm.gateway.v1.DdpmService";
    private static final Metadata.Key<String> API_KEY = Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> IDEMPOTENCY =
            Metadata.Key.of(Idempotency.METADATA, Metadata.ASCII_STRING_MARSHALLER);
    private static final Set<String> TRAINING_METHODS = Set.of(
            "StartTraining",
            "GetTraining",
            "WatchTraining",
            "CancelTraining",
            "GetTrainingQuota",
            "UploadDataset",
            "ListDatasets",
            "DeleteDataset",
            "PromoteModel",
            "RollbackModel",
            "SetCanary",
            "SetModelPolicy",
            "SetModelSharing",
            "DeleteModelVersion");

    private final ApiKeys keys;
    private final RateLimiter limiter;

    public GrpcAuthInterceptor(ApiKeys keys, RateLimiter limiter) {
        this.keys = keys;
        this.limiter = limiter;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (!SERVICE.equals(call.getMethodDescriptor().getServiceName())) {
            return next.startCall(call, headers);
        }
        Caller caller = keys.identify(ApiKeys.presented(headers.get(API_KEY), headers.get(AUTHORIZATION)))
                .orElse(null);
        if (caller == null) {
            return refuse(call, Problem.of(401, "unauthenticated", "send a valid API key in the x-api-key metadata"));
        }
        String method = call.getMethodDescriptor().getBareMethodName();
        Scope needed = TRAINING_METHODS.contains(method) ? Scope.TRAIN : Scope.SAMPLE;
        if (!caller.may(needed)) {
            return refuse(
                    call,
                    Problem.of(
                            403,
                            "forbidden",
                            "API key '" + caller.keyId() + "' lacks the '"
                                    + needed.name().toLowerCase(Locale.ROOT) + "' scope " + method
                                    + " needs"));
        }
        long wait = limiter.tryAcquire(caller.keyId());
        if (wait > 0) {
            return refuse(
                    call,
                    Problem.of(
                                    429,
                                    "rate limit exceeded",
                                    "API key '" + caller.keyId() + "' is over its rate; retry after " + wait + " s")
                            .withRetryAfter(Duration.ofSeconds(wait)));
        }
        return Contexts.interceptCall(
                Context.current().withValue(CALLER, caller).withValue(IDEMPOTENCY_KEY, headers.get(IDEMPOTENCY)),
                call,
                headers,
                next);
    }

    /**
     * Who makes the current call, as this interceptor identified them. A call that reaches the service
     * without one passed no interceptor (a wiring fault): it is refused as unauthenticated, never
     * served on someone's behalf.
     *
     * @throws StatusRuntimeException UNAUTHENTICATED when the call carries no caller
     */
    public static Caller caller() {
        Caller caller = CALLER.get();
        if (caller == null) {
            throw GrpcProblems.status(Problem.of(401, "unauthenticated", "the call was not identified by an API key"));
        }
        return caller;
    }

    /**
     * The current call's {@code idempotency-key} metadata, validated as the HTTP header is.
     *
     * @return null when the call carries none
     * @throws GatewayException 400 (INVALID_ARGUMENT) for a key that is not 1 to 128 printable ASCII characters
     */
    public static String idempotencyKey() {
        return Idempotency.validate(IDEMPOTENCY_KEY.get(), Idempotency.METADATA);
    }

    private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Problem problem) {
        StatusRuntimeException refusal = GrpcProblems.status(problem);
        call.close(refusal.getStatus(), refusal.getTrailers());
        return new ServerCall.Listener<>() {};
    }
}
