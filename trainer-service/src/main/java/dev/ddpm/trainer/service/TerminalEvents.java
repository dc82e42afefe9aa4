package dev.ddpm.trainer.service;

import dev.ddpm.core.events.EventData;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.function.Consumer;

/**
 * Sends a run's terminal event (TrainingCompleted, Failed or Cancelled) until the broker acknowledges
 * it: each try waits for the acknowledgement, a failed one is retried after a growing pause, for up to
 * {@link #BUDGET}. A broker away for a while (a restart, a network cut) thus costs the run nothing; one
 * away for longer leaves the request unacknowledged, and its redelivery sends the event again.
 */
final class TerminalEvents {

    private static final Logger LOG = Logger.getLogger(TerminalEvents.class);
    /** How long a terminal event is retried before its request is left for a redelivery. */
    static final Duration BUDGET = Duration.ofMinutes(10);

    private static final Duration FIRST_PAUSE = Duration.ofSeconds(1);
    private static final Duration LONGEST_PAUSE = Duration.ofSeconds(30);

    /** How this class waits; a test passes one that does not. */
    @FunctionalInterface
    interface Sleeper {
        void sleep(Duration pause) throws InterruptedException;
    }

    private final Consumer<EventData> sendAndWait;
    private final Duration budget;
    private final Sleeper sleeper;

    /** @param sendAndWait sends and returns once the broker has acknowledged, or throws */
    TerminalEvents(Consumer<EventData> sendAndWait) {
        this(sendAndWait, BUDGET, pause -> Thread.sleep(pause.toMillis()));
    }

    TerminalEvents(Consumer<EventData> sendAndWait, Duration budget, Sleeper sleeper) {
        this.sendAndWait = sendAndWait;
        this.budget = budget;
        this.sleeper = sleeper;
    }

    /** Sends {@code event} until it is acknowledged; returns false when the budget ran out first. */
    boolean deliver(EventData event) {
        long start = System.nanoTime();
        Duration paused = Duration.ZERO;
        Duration pause = FIRST_PAUSE;
        for (int attempt = 1; ; attempt++) {
            try {
                sendAndWait.accept(event);
                if (attempt > 1) {
                    LOG.infof("%s for %s acknowledged at try %d", name(event), event.partitionKey(), attempt);
                }
                return true;
            } catch (RuntimeException e) {
                // The larger of the time passed and the pauses taken, so that a sleeper that only counts ends too.
                Duration spent = Duration.ofNanos(Math.max(System.nanoTime() - start, paused.toNanos()));
                if (spent.plus(pause).compareTo(budget) > 0) {
                    LOG.errorf(
                            "%s for %s not acknowledged in %d tries over %s (%s); its request stays unacknowledged",
                            name(event), event.partitionKey(), attempt, budget, e.getMessage());
                    return false;
                }
                LOG.warnf(
                        "%s for %s not acknowledged (%s); trying again in %s",
                        name(event), event.partitionKey(), e.getMessage(), pause);
            }
            try {
                sleeper.sleep(pause);
                paused = paused.plus(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            pause = pause.multipliedBy(2).compareTo(LONGEST_PAUSE) > 0 ? LONGEST_PAUSE : pause.multipliedBy(2);
        }
    }

    private static String name(EventData event) {
        return event.getClass().getSimpleName();
    }
}
