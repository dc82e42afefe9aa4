package dev.ddpm.gateway.client;

import dev.ddpm.proto.common.v1.SampleEvent;
import dev.ddpm.proto.sampler.v1.SampleRequest;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.MultiEmitter;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * One Sample call to a sampler as a Multi that its subscriber can stop and cannot flood. Cancelling
 * the subscription cancels the gRPC call (the sampler frees the request's batch slots at its next
 * step). The sampler's events are read as they come and held in {@link PendingEvents} until the
 * subscriber asks for them, so a slow or silent client holds at most the newest progress and one
 * preview per image, never the whole stream; the result and a failure always reach it.
 */
final class SamplerCall implements ClientResponseObserver<SampleRequest, SampleEvent> {

    private final MultiEmitter<? super SampleEvent> emitter;
    private final Runnable onEnd;
    private final Runnable onSuperseded;
    private final Consumer<SampleEvent> onArrival;
    private final PendingEvents pending = new PendingEvents();
    private final AtomicInteger drains = new AtomicInteger();
    private volatile ClientCallStreamObserver<SampleRequest> call;
    // Guarded by pending:
    private boolean ended;
    private Throwable failure;
    // Touched by the one draining thread only:
    private boolean delivered;

    private SamplerCall(
            MultiEmitter<? super SampleEvent> emitter,
            Runnable onEnd,
            Runnable onSuperseded,
            Consumer<SampleEvent> onArrival) {
        this.emitter = emitter;
        this.onEnd = onEnd;
        this.onSuperseded = onSuperseded;
        this.onArrival = onArrival;
    }

    /**
     * @param start        starts the call with the observer it is given
     * @param onEnd        run once when the call ends, however it ends
     * @param onSuperseded run for each progress or preview event dropped unread (a newer one replaced it)
     * @param onArrival    each event as the sampler sends it, before the subscriber's pace holds it back
     */
    static Multi<SampleEvent> of(
            BiConsumer<SampleRequest, ClientResponseObserver<SampleRequest, SampleEvent>> start,
            SampleRequest request,
            Runnable onEnd,
            Runnable onSuperseded,
            Consumer<SampleEvent> onArrival) {
        return Multi.createFrom().emitter(emitter -> {
            SamplerCall relay = new SamplerCall(emitter, onEnd, onSuperseded, onArrival);
            emitter.onRequest(n -> relay.drain());
            emitter.onTermination(relay::cancel);
            start.accept(request, relay);
            // A subscriber gone before the call had started (its cancel found no call to cancel).
            if (emitter.isCancelled()) {
                relay.cancel();
            }
        });
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<SampleRequest> requestStream) {
        this.call = requestStream;
    }

    @Override
    public void onNext(SampleEvent event) {
        onArrival.accept(event);
        boolean replaced;
        synchronized (pending) {
            replaced = pending.add(event);
        }
        if (replaced) {
            onSuperseded.run();
        }
        drain();
    }

    @Override
    public void onError(Throwable error) {
        end(error);
    }

    @Override
    public void onCompleted() {
        end(null);
    }

    private void end(Throwable error) {
        synchronized (pending) {
            ended = true;
            failure = error;
        }
        onEnd.run();
        drain();
    }

    /** The subscriber went away (or the stream ended): a call still running is cancelled. */
    private void cancel() {
        ClientCallStreamObserver<SampleRequest> running = call;
        boolean open;
        synchronized (pending) {
            open = !ended;
        }
        if (open && running != null) {
            running.cancel("the client went away", null);
        }
    }

    /** Hands the subscriber what it asked for; one thread at a time, the others leave it work to redo. */
    private void drain() {
        if (drains.getAndIncrement() != 0) {
            return;
        }
        do {
            while (!delivered && !emitter.isCancelled()) {
                SampleEvent next = null;
                boolean finished;
                Throwable error;
                synchronized (pending) {
                    if (emitter.requested() > 0) {
                        next = pending.next();
                    }
                    finished = ended && pending.isEmpty();
                    error = failure;
                }
                if (next != null) {
                    emitter.emit(next);
                } else {
                    if (finished) {
                        delivered = true;
                        if (error != null) {
                            emitter.fail(error);
                        } else {
                            emitter.complete();
                        }
                    }
                    break;
                }
            }
        } while (drains.decrementAndGet() != 0);
    }
}
