package dev.ddpm.trainer.service;

import dev.ddpm.core.events.EventData;
import dev.ddpm.core.events.TrainingFailed;
import dev.ddpm.core.messaging.MessagingException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** A terminal event is sent until the broker acknowledges it, for a bounded time. */
class TerminalEventsTest {

    private static final EventData EVENT = new TrainingFailed("run-1", 3L, "boom");

    @Test
    void aBrokerAwayForAWhileCostsRetriesNotTheEvent() {
        AtomicInteger tries = new AtomicInteger();
        List<Duration> pauses = new ArrayList<>();
        TerminalEvents terminal = new TerminalEvents(
                event -> {
                    if (tries.incrementAndGet() <= 5) {
                        throw new MessagingException("broker away", null);
                    }
                },
                Duration.ofMinutes(10),
                pauses::add);

        assertThat(terminal.deliver(EVENT)).isTrue();
        assertThat(tries).hasValue(6);
        // 1+2+4+8+16 s: a 20 s outage is ridden out well within the budget.
        assertThat(pauses)
                .containsExactly(
                        Duration.ofSeconds(1),
                        Duration.ofSeconds(2),
                        Duration.ofSeconds(4),
                        Duration.ofSeconds(8),
                        Duration.ofSeconds(16));
    }

    @Test
    void aBrokerAwayPastTheBudgetLeavesTheEventUnsentAndSaysSo() {
        AtomicInteger tries = new AtomicInteger();
        List<Duration> pauses = new ArrayList<>();
        TerminalEvents terminal = new TerminalEvents(
                event -> {
                    tries.incrementAndGet();
                    throw new MessagingException("broker away", null);
                },
                Duration.ofMinutes(10),
                pauses::add);

        assertThat(terminal.deliver(EVENT)).isFalse();
        assertThat(pauses.stream().reduce(Duration.ZERO, Duration::plus)).isLessThanOrEqualTo(Duration.ofMinutes(10));
        assertThat(pauses).allMatch(p -> p.compareTo(Duration.ofSeconds(30)) <= 0);
        assertThat(tries.get()).isGreaterThan(20);
    }
}
