package dev.ddpm.gateway.grpc;

import dev.ddpm.gateway.client.PendingEvents;
import dev.ddpm.gateway.client.SupersededEvents;
import dev.ddpm.proto.common.v1.SampleEvent;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Public Sample streams sent only as fast as their clients read them. The service's stream is
 * consumed as it comes, so a client that reads slowly (or never) would otherwise have every preview
 * queued for it in the gateway; here a message waits in {@link PendingEvents} (latest-wins: the
 * newest progress, one preview per image) until the call is ready to take one, and the stream's end
 * follows what is still waiting. A failure ends the call at once.
 */
@GlobalInterceptor
@ApplicationScoped
public class SampleStreamFlowControl implements ServerInterceptor {

    static final String METHOD = GrpcAuthInterceptor.SERVICE + "/Sample";

    private final Counter superseded;

    public SampleStreamFlowControl(MeterRegistry registry) {
        this.superseded = SupersededEvents.counter(registry);
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (!METHOD.equals(call.getMethodDescriptor().getFullMethodName())) {
            return next.startCall(call, headers);
        }
        ReadyPacedCall<Q, R> paced = new ReadyPacedCall<>(call, superseded);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(paced, headers)) {
            @Override
            public void onReady() {
                paced.flush();
                super.onReady();
            }
        };
    }

    private static final class ReadyPacedCall<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {

        private final PendingEvents pending = new PendingEvents();
        private final Counter superseded;
        private Status end;
        private Metadata endTrailers;
        private boolean closed;

        ReadyPacedCall(ServerCall<Q, R> call, Counter superseded) {
            super(call);
            this.superseded = superseded;
        }

        @Override
        public synchronized void sendMessage(R message) {
            if (!closed) {
                if (pending.add((SampleEvent) message)) {
                    superseded.increment();
                }
                flush();
            }
        }

        @Override
        public synchronized void close(Status status, Metadata trailers) {
            if (closed) {
                return;
            }
            if (status.isOk()) {
                end = status;
                endTrailers = trailers;
                flush();
            } else {
                closed = true;
                super.close(status, trailers);
            }
        }

        @SuppressWarnings("unchecked")
        synchronized void flush() {
            if (closed) {
                return;
            }
            while (isReady()) {
                SampleEvent next = pending.next();
                if (next == null) {
                    break;
                }
                super.sendMessage((R) next);
            }
            if (end != null && pending.isEmpty()) {
                closed = true;
                super.close(end, endTrailers);
            }
        }
    }
}
