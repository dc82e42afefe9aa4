package dev.ddpm.gateway.service;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * This replica's submissions under an idempotency key that are still being made (charged, sent, waiting
 * for the broker's acknowledgement, not yet in the view), so that a repeat of the same key arriving
 * meanwhile, typically a client's retry after its own timeout, waits for the first instead of being
 * charged and sent a second time. The views only learn an id once its submission is over, which can
 * take up to {@code Delivery.ACK_WAIT}; this covers that gap on one replica (across replicas a repeat
 * may still be sent again, see {@link Idempotency}).
 */
final class InFlightSubmissions {

    private final ConcurrentMap<String, CompletableFuture<Idempotency.Submission>> inFlight = new ConcurrentHashMap<>();

    /**
     * Makes the submission of {@code id} once. The id is registered before {@code known} is asked, so of
     * two concurrent calls only one submits; the other waits for it and answers its id as replayed, or
     * throws what it threw. A first that failed with a 503 (not submitted: nothing was sent or charged)
     * leaves the repeat to submit afresh. The entry goes once {@code submit} has returned, by which time
     * it has put the id in the view, or once it has failed.
     *
     * @param known  whether the view knows the id already: then nothing is submitted and it is a replay
     * @param submit charges, sends and records the id in the view; its result is the first answer
     */
    Idempotency.Submission once(String id, BooleanSupplier known, Supplier<Idempotency.Submission> submit) {
        while (true) {
            CompletableFuture<Idempotency.Submission> mine = new CompletableFuture<>();
            CompletableFuture<Idempotency.Submission> first = inFlight.putIfAbsent(id, mine);
            if (first == null) {
                return submitAs(mine, id, known, submit);
            }
            try {
                first.join();
                return new Idempotency.Submission(id, true);
            } catch (CompletionException e) {
                if (!(e.getCause() instanceof GatewayException g && g.problem().status() == 503)) {
                    throw e.getCause() instanceof RuntimeException r ? r : e;
                }
                // The first was not submitted; this repeat is now a submission of its own.
            }
        }
    }

    /** Submissions being made now; for tests. */
    int size() {
        return inFlight.size();
    }

    private Idempotency.Submission submitAs(
            CompletableFuture<Idempotency.Submission> mine,
            String id,
            BooleanSupplier known,
            Supplier<Idempotency.Submission> submit) {
        Idempotency.Submission result;
        try {
            // Asked only now that the id is ours: a first that has just ended put its id in the view before
            // leaving the registry, so it is either still registered or known here.
            result = known.getAsBoolean() ? new Idempotency.Submission(id, true) : submit.get();
        } catch (RuntimeException | Error e) {
            // Out of the registry before the waiters wake, so a 503's waiter can register at once.
            inFlight.remove(id, mine);
            mine.completeExceptionally(e);
            throw e;
        }
        inFlight.remove(id, mine);
        mine.complete(result);
        return result;
    }
}
