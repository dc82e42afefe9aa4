package dev.ddpm.gateway.service;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A repeat of a submission this replica is still making waits for it: charged and sent once, answered as
 * the first was, and submitted afresh only when the first was not submitted (a 503).
 */
class InFlightSubmissionsTest {

    private static final String ID = "job-1";

    private final InFlightSubmissions inFlight = new InFlightSubmissions();
    private final ExecutorService pool = Executors.newCachedThreadPool();
    /** Submissions made: each stands for a charge and a send. */
    private final AtomicInteger sent = new AtomicInteger();
    /** Held until released, as a broker that has not acknowledged yet holds a send. */
    private final CountDownLatch brokerAck = new CountDownLatch(1);

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    @Test
    void aRepeatWhileTheFirstIsInFlightWaitsForItAndIsNeitherChargedNorSent() throws Exception {
        // The view never knows the id here: only the registry can keep the repeat from being sent.
        Future<Idempotency.Submission> firstAnswer =
                pool.submit(() -> inFlight.once(ID, () -> false, held(() -> new Idempotency.Submission(ID, false))));
        await().atMost(Duration.ofSeconds(10)).until(() -> sent.get() == 1);

        Thread[] repeat = new Thread[1];
        Future<Idempotency.Submission> repeatAnswer = pool.submit(() -> {
            repeat[0] = Thread.currentThread();
            return inFlight.once(ID, () -> false, held(() -> new Idempotency.Submission(ID, false)));
        });
        // Parked: waiting for the first (or, were it not, for its own broker acknowledgement).
        await().atMost(Duration.ofSeconds(10))
                .until(() -> repeat[0] != null && repeat[0].getState() == Thread.State.WAITING);
        assertThat(repeatAnswer).isNotDone();

        brokerAck.countDown();

        assertThat(firstAnswer.get(10, TimeUnit.SECONDS)).isEqualTo(new Idempotency.Submission(ID, false));
        assertThat(repeatAnswer.get(10, TimeUnit.SECONDS)).isEqualTo(new Idempotency.Submission(ID, true));
        assertThat(sent).as("charged and sent once").hasValue(1);
        assertThat(inFlight.size()).as("the entry goes with the first's end").isZero();
    }

    @Test
    void aRepeatOfAFirstThatWasNotSubmittedIsSubmittedAfresh() throws Exception {
        Future<Idempotency.Submission> firstAnswer = pool.submit(() -> inFlight.once(ID, () -> false, held(() -> {
            throw new GatewayException(503, "not submitted", "the broker did not take it");
        })));
        await().atMost(Duration.ofSeconds(10)).until(() -> sent.get() == 1);
        Future<Idempotency.Submission> repeatAnswer =
                pool.submit(() -> inFlight.once(ID, () -> false, held(() -> new Idempotency.Submission(ID, false))));
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(10)).until(() -> sent.get() == 1);

        brokerAck.countDown();

        assertThatThrownBy(() -> firstAnswer.get(10, TimeUnit.SECONDS))
                .hasMessageContaining("the broker did not take it");
        assertThat(repeatAnswer.get(10, TimeUnit.SECONDS)).isEqualTo(new Idempotency.Submission(ID, false));
        assertThat(sent).as("the first was not sent; the repeat was").hasValue(2);
        assertThat(inFlight.size()).isZero();
    }

    @Test
    void aRepeatOfAFirstRefusedOtherwiseIsRefusedTheSameWithoutBeingSubmitted() throws Exception {
        GatewayException refused = GatewayException.tooMany("sampling quota exceeded", "retry after 3 s", 3);
        Future<Idempotency.Submission> firstAnswer = pool.submit(() -> inFlight.once(ID, () -> false, held(() -> {
            throw refused;
        })));
        await().atMost(Duration.ofSeconds(10)).until(() -> sent.get() == 1);
        Future<Idempotency.Submission> repeatAnswer =
                pool.submit(() -> inFlight.once(ID, () -> false, held(() -> new Idempotency.Submission(ID, false))));
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(10)).until(() -> sent.get() == 1);

        brokerAck.countDown();

        assertThatThrownBy(() -> firstAnswer.get(10, TimeUnit.SECONDS)).hasCause(refused);
        assertThatThrownBy(() -> repeatAnswer.get(10, TimeUnit.SECONDS)).hasCause(refused);
        assertThat(sent).hasValue(1);
    }

    @Test
    void anIdTheViewKnowsIsAReplayAndAnotherIdIsNotHeldUpByOneInFlight() throws Exception {
        assertThat(inFlight.once(ID, () -> true, () -> {
                    throw new AssertionError("a known id is not submitted");
                }))
                .isEqualTo(new Idempotency.Submission(ID, true));

        Future<Idempotency.Submission> held =
                pool.submit(() -> inFlight.once(ID, () -> false, held(() -> new Idempotency.Submission(ID, false))));
        await().atMost(Duration.ofSeconds(10)).until(() -> sent.get() == 1);
        assertThat(inFlight.once("job-2", () -> false, () -> new Idempotency.Submission("job-2", false)))
                .isEqualTo(new Idempotency.Submission("job-2", false));
        brokerAck.countDown();
        assertThat(held.get(10, TimeUnit.SECONDS).replayed()).isFalse();
    }

    /** A submission that counts itself, then waits for {@link #brokerAck} before answering. */
    private Supplier<Idempotency.Submission> held(Supplier<Idempotency.Submission> answer) {
        return () -> {
            sent.incrementAndGet();
            try {
                brokerAck.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            return answer.get();
        };
    }
}
