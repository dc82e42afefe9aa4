package dev.ddpm.sampler.grpc;

import dev.ddpm.service.auth.CallerHeader;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Who a call is made for: the gateway sends its API key's id as {@code ddpm-caller} metadata (REST
 * callers send the same header), so that per-caller bounds (loads of pinned versions) count each
 * key apart. Carried in a Context key for the service to read on the call's thread.
 */
@GlobalInterceptor
@ApplicationScoped
public class CallerIdentity implements ServerInterceptor {

    /** The header, in gRPC metadata and HTTP alike. */
    public static final String HEADER = CallerHeader.NAME;

    private static final Metadata.Key<String> CALLER = Metadata.Key.of(HEADER, Metadata.ASCII_STRING_MARSHALLER);
    private static final Context.Key<String> CURRENT = Context.key(HEADER);

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String caller = headers.get(CALLER);
        if (caller == null) {
            return next.startCall(call, headers);
        }
        return Contexts.interceptCall(Context.current().withValue(CURRENT, caller), call, headers, next);
    }

    /** The current call's caller; null when it named none. */
    static String current() {
        return CURRENT.get();
    }
}
