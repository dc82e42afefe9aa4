package dev.ddpm.sampler.grpc;

import dev.ddpm.service.auth.OperatorKey;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Set;

/** The operator key on the sampler's gRPC services (the gateway presents it); health and reflection stay open. */
@GlobalInterceptor
@ApplicationScoped
public class OperatorGrpcInterceptor implements ServerInterceptor {

    private static final Metadata.Key<String> KEY =
            Metadata.Key.of(OperatorKey.HEADER, Metadata.ASCII_STRING_MARSHALLER);
    private static final Set<String> OPEN = Set.of(
            "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection", "grpc.reflection.v1.ServerReflection");

    private final OperatorKey key;

    public OperatorGrpcInterceptor(OperatorKey key) {
        this.key = key;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (!key.required() || OPEN.contains(call.getMethodDescriptor().getServiceName())) {
            return next.startCall(call, headers);
        }
        String refusal = key.refusal(headers.get(KEY));
        if (refusal != null) {
            call.close(Status.UNAUTHENTICATED.withDescription(refusal), new Metadata());
            return new ServerCall.Listener<>() {};
        }
        return next.startCall(call, headers);
    }
}
