package dev.ddpm.sampler.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The caller's gRPC deadline, for the service to plan with: the Vert.x-based gRPC server (one port
 * with HTTP) does not put it on the call's Context, so it is read from the {@code grpc-timeout}
 * header (gRPC over HTTP/2: digits and a unit, H M S m u n) and carried in a Context key.
 */
@GlobalInterceptor
@ApplicationScoped
public class CallDeadlines implements ServerInterceptor {

    private static final Metadata.Key<String> TIMEOUT =
            Metadata.Key.of("grpc-timeout", Metadata.ASCII_STRING_MARSHALLER);
    /** System.nanoTime() by which the call must end. */
    private static final Context.Key<Long> DEADLINE_NANOS = Context.key("ddpm-call-deadline");

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        Duration timeout = parse(headers.get(TIMEOUT));
        if (timeout == null) {
            return next.startCall(call, headers);
        }
        Context context = Context.current().withValue(DEADLINE_NANOS, System.nanoTime() + timeout.toNanos());
        return Contexts.interceptCall(context, call, headers, next);
    }

    /** The time the current call's deadline leaves; null when the caller set none. */
    static Duration remaining() {
        Long deadline = DEADLINE_NANOS.get();
        if (deadline != null) {
            return Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
        }
        Deadline own = Context.current().getDeadline();
        return own == null ? null : Duration.ofNanos(Math.max(1, own.timeRemaining(TimeUnit.NANOSECONDS)));
    }

    static Duration parse(String header) {
        if (header == null || header.length() < 2 || header.length() > 9) {
            return null;
        }
        String digits = header.substring(0, header.length() - 1);
        if (!digits.chars().allMatch(Character::isDigit)) {
            return null;
        }
        long value = Long.parseLong(digits);
        return switch (header.charAt(header.length() - 1)) {
            case 'H' -> Duration.ofHours(value);
            case 'M' -> Duration.ofMinutes(value);
            case 'S' -> Duration.ofSeconds(value);
            case 'm' -> Duration.ofMillis(value);
            case 'u' -> Duration.ofNanos(value * 1000);
            case 'n' -> Duration.ofNanos(value);
            default -> null;
        };
    }
}
