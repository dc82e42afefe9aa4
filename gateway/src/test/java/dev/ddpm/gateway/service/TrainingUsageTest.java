package dev.ddpm.gateway.service;

import dev.ddpm.core.api.TrainingRequest;
import dev.ddpm.core.events.TrainingRequested;
import dev.ddpm.core.events.TrainingStarted;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** What a key's training quota counts of its runs, at one moment. */
class TrainingUsageTest {

    private static final Instant NOW = Instant.parse("2026-06-02T12:00:00Z");
    private final TrainingRuns runs = new TrainingRuns();

    @Test
    void aRunningRunCountsItsMinutesInTheWindowAndWhatItsBoxStillCommits() {
        // Started 25 h ago with a 30 h box: 24 h of it in the window, 5 h still committed.
        request("long", "alice", 30 * 60.0, NOW.minus(Duration.ofHours(26)));
        runs.apply(new TrainingStarted("long", "d", "d", "cpu", 10, 0, 10), NOW.minus(Duration.ofHours(25)));
        // Another key's run counts for nothing here.
        request("theirs", "bob", 60.0, NOW.minus(Duration.ofMinutes(5)));

        TrainingUsage usage = TrainingUsage.of(runs.all(), "alice", NOW, Duration.ofHours(24));

        assertThat(usage.running()).isEqualTo(1);
        assertThat(usage.queued()).isZero();
        assertThat(usage.minutesRun()).isEqualTo(24 * 60.0);
        assertThat(usage.minutesCommitted()).isEqualTo(5 * 60.0);
        assertThat(usage.untilBoxesEnd(1)).contains(Duration.ofHours(5));
        assertThat(usage.untilLeft(90))
                .as("its oldest minutes in the window leave first")
                .contains(Duration.ofMinutes(90));
    }

    @Test
    void aQueuedRunCommitsItsBoxUntilItIsPresumedLost() {
        request("queued", "alice", 45.0, NOW.minus(Duration.ofHours(2)));

        TrainingUsage fresh = TrainingUsage.of(runs.all(), "alice", NOW, Duration.ofHours(3));
        assertThat(fresh.queued()).isEqualTo(1);
        assertThat(fresh.minutesCommitted()).isEqualTo(45.0);
        assertThat(fresh.untilLeft(1)).as("nothing has run to leave the window").isEmpty();

        TrainingUsage lost = TrainingUsage.of(runs.all(), "alice", NOW, Duration.ofHours(1));
        assertThat(lost.queued()).isZero();
        assertThat(lost.minutesUsed()).isZero();
    }

    private void request(String runId, String key, double maxMinutes, Instant at) {
        runs.apply(
                new TrainingRequested(
                        runId,
                        TrainingRequest.builder()
                                .dataset("d")
                                .steps(10)
                                .maxMinutes(maxMinutes)
                                .build(),
                        key),
                at);
    }
}
