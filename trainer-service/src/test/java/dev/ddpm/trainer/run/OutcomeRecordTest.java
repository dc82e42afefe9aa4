package dev.ddpm.trainer.run;

import dev.ddpm.core.events.TrainingCancelled;
import dev.ddpm.core.events.TrainingCompleted;
import dev.ddpm.core.events.TrainingFailed;
import dev.ddpm.core.json.Json;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** outcome.json: its wire form, and the terminal event a redelivery sends again from it. */
class OutcomeRecordTest {

    private static final Instant AT = Instant.parse("2025-01-02T03:04:05Z");

    @Test
    void aCompletedRunIsAnnouncedAgainAsTheSameCompletion() {
        OutcomeRecord completed = new OutcomeRecord(
                OutcomeRecord.State.COMPLETED,
                "run-1",
                "faces",
                500,
                0.031,
                "run-1/step-500/checkpoint.json",
                "20250102-030405-s500",
                null,
                "key-7",
                AT);

        OutcomeRecord read = Json.read(Json.write(completed), OutcomeRecord.class);

        assertThat(read).isEqualTo(completed);
        assertThat(Json.tree(completed).get("state").asText()).isEqualTo("completed");
        assertThat(read.event())
                .isEqualTo(new TrainingCompleted(
                        "run-1", "faces", 500, 0.031, "run-1/step-500/checkpoint.json", "20250102-030405-s500"));
    }

    @Test
    void failedAndCancelledRunsCarryTheirReasonAndCanceller() {
        assertThat(new OutcomeRecord(OutcomeRecord.State.FAILED, "run-2", "m", 7, null, null, null, "boom", null, AT)
                        .event())
                .isEqualTo(new TrainingFailed("run-2", 7L, "boom"));
        assertThat(new OutcomeRecord(
                                OutcomeRecord.State.CANCELLED, "run-3", "m", 9, Double.NaN, null, null, null, "ops", AT)
                        .event())
                .isEqualTo(new TrainingCancelled("run-3", 9, "ops"));
    }
}
