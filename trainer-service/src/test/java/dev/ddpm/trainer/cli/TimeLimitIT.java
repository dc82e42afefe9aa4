package dev.ddpm.trainer.cli;

import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.testing.TestStack;
import dev.ddpm.trainer.checkpoint.CheckpointManifest;
import dev.ddpm.trainer.checkpoint.CheckpointStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code train --max-minutes}: past the limit the run stops at its next step with a checkpoint in the
 * real S3 server, and the same command continues it to the end. {@code train --time-box}: the run ends
 * there, its decay fitted, and stays ended. A limit that is not a number of minutes is refused before
 * anything starts.
 */
class TimeLimitIT {

    @Test
    void aRunPastItsLimitStopsWithACheckpointAndTheSameCommandFinishesIt(@TempDir Path dir) throws IOException {
        Path data = Files.write(dir.resolve("train-images-idx3-ubyte"), idx(16, 16));
        String run = "time-limit-" + UUID.randomUUID().toString().substring(0, 8);
        String[] common = {
            "train",
            "--data",
            data.toString(),
            "--preset",
            "tiny",
            "--steps",
            "6",
            "--batch",
            "4",
            "--run",
            run,
            "--checkpoint-every",
            "100",
            "--grid-every",
            "100",
            "--threads",
            "1",
            "--device",
            "cpu"
        };

        // A limit of 6 ms has passed by the end of the first step.
        assertThat(TrainerCli.run(concat(common, "--max-minutes", "0.0001"))).isZero();
        try (ArtifactStore store = new ArtifactStore(TestStack.s3())) {
            long stoppedAt = new CheckpointStore(store).latest(run).step();
            assertThat(stoppedAt).isBetween(1L, 5L);
            // The loss curve is left as a finished run leaves it, so a stopped run can be read.
            assertThat(store.exists(Buckets.CHECKPOINTS, run + "/loss.png")).isTrue();

            assertThat(TrainerCli.run(concat(common, "--max-minutes", "0"))).isZero();
            assertThat(new CheckpointStore(store).latest(run).step()).isEqualTo(6);
        }
    }

    @Test
    void aTimeBoxEndsTheRunAnnealedAndHoldsAcrossAResume(@TempDir Path dir) throws IOException {
        Path data = Files.write(dir.resolve("train-images-idx3-ubyte"), idx(16, 16));
        String run = "time-box-" + UUID.randomUUID().toString().substring(0, 8);
        // Planned far beyond what 6 seconds reach, with cosine decay: the box ends it.
        String[] command = {
            "train",
            "--data",
            data.toString(),
            "--preset",
            "tiny",
            "--steps",
            "1000000",
            "--batch",
            "4",
            "--lr-decay",
            "cosine",
            "--warmup",
            "5",
            "--run",
            run,
            "--checkpoint-every",
            "100000",
            "--grid-every",
            "100000",
            "--progress-every",
            "10",
            "--threads",
            "1",
            "--device",
            "cpu",
            "--time-box",
            "0.1"
        };

        assertThat(TrainerCli.run(command)).isZero();
        try (ArtifactStore store = new ArtifactStore(TestStack.s3())) {
            CheckpointManifest ended = new CheckpointStore(store).latest(run);
            assertThat(ended.ended()).isTrue();
            assertThat(ended.step()).isBetween(10L, 999_999L);
            assertThat(ended.trainingSeconds()).as("about the box's 6 s").isBetween(6.0, 60.0);
            // The decay was fitted to the steps reached, not left to end at step 1,000,000: the
            // projection from the rate so far lands near the step the box actually ended at.
            assertThat(ended.decayEnd())
                    .as("fitted decay end")
                    .isNotNull()
                    .isBetween(ended.step() / 3, ended.step() * 3);

            // The same command again: the box is spent (its seconds are in the checkpoint), nothing trains.
            assertThat(TrainerCli.run(command)).isZero();
            CheckpointManifest again = new CheckpointStore(store).latest(run);
            assertThat(again.step()).isEqualTo(ended.step());
            assertThat(again.ended()).isTrue();
        }
    }

    @Test
    void aLimitThatIsNotANumberOfMinutesIsAUsageError() {
        for (String limit : new String[] {"-1", "NaN", "Infinity"}) {
            CliRun run = CliRun.of("train", "--data", "/nowhere", "--max-minutes", limit);
            assertThat(run.exitCode()).isEqualTo(2);
            assertThat(run.err())
                    .contains("error: train: Invalid value for option '--max-minutes': must be 0 (no limit) "
                            + "or a number of minutes, was '" + limit + "'");
        }
        assertThat(CliRun.of("train", "--data", "/nowhere", "--time-box", "-2").err())
                .contains("error: train: Invalid value for option '--time-box': must be 0 (no limit) or a number of "
                        + "minutes, was '-2'");
        CliRun both = CliRun.of("train", "--data", "/nowhere", "--time-box", "5", "--max-minutes", "5");
        assertThat(both.exitCode()).isEqualTo(2);
        assertThat(both.err())
                .contains("error: train: --max-minutes (pause) and --time-box (end there) exclude each other");
        CliRun box = CliRun.of("request-training", "--data", "d", "--time-box", "5");
        assertThat(box.exitCode()).isEqualTo(2);
        assertThat(box.err()).contains("error: request-training: a requested run's time box is --max-minutes");
        // A training request is checked the same way, before anything is sent.
        CliRun request = CliRun.of("request-training", "--data", "d", "--max-minutes", "-5");
        assertThat(request.exitCode()).isEqualTo(2);
        assertThat(request.err())
                .contains("error: request-training: Invalid value for option '--max-minutes': must be "
                        + "0 (no limit) or a number of minutes, was '-5'");
    }

    private static String[] concat(String[] head, String... tail) {
        String[] all = Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, all, head.length, tail.length);
        return all;
    }

    /** MNIST's image file format: {@code count} images of {@code size} x {@code size}, diagonal strokes. */
    private static byte[] idx(int count, int size) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(0x00000803);
            out.writeInt(count);
            out.writeInt(size);
            out.writeInt(size);
            for (int i = 0; i < count; i++) {
                for (int y = 0; y < size; y++) {
                    for (int x = 0; x < size; x++) {
                        out.writeByte(Math.abs(x - y - i % 5) < 2 ? 255 : 0);
                    }
                }
            }
        }
        return bytes.toByteArray();
    }
}
