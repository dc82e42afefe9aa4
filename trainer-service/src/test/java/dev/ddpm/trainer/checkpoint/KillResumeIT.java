package dev.ddpm.trainer.checkpoint;

import dev.ddpm.core.image.ImageEncoding;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.S3Settings;
import dev.ddpm.trainer.data.SyntheticPatterns;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The resume promise at process level: a training process killed with SIGKILL after a
 * checkpoint and started again with the same command ends with the weights of a run that was never
 * interrupted. Both runs are separate JVMs running the real CLI against the real S3 server, with one
 * PyTorch thread (multi-threaded CPU reductions are not bitwise reproducible, see architecture.md).
 */
class KillResumeIT {

    private static final int STEPS = 30;
    private static ArtifactStore store;

    @TempDir
    static Path data;

    @BeforeAll
    static void open() throws IOException {
        store = new ArtifactStore(new S3Settings(env("S3_ENDPOINT"), env("S3_ACCESS_KEY"), env("S3_SECRET_KEY"),
                null, Duration.ofSeconds(20)));
        store.ensureBuckets(Buckets.ALL);
        SyntheticPatterns patterns = new SyntheticPatterns(16, 2, 2, 2, 2);
        for (int i = 0; i < patterns.size(); i++) {
            Files.write(data.resolve("img-" + i + ".png"), ImageEncoding.png(patterns.image(i), 1, 16));
        }
    }

    @AfterAll
    static void close() {
        if (store != null) {
            store.close();
        }
    }

    @Test
    void aRunKilledAfterACheckpointAndRestartedEndsLikeAnUninterruptedOne() throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String interrupted = "kill-" + suffix;
        String uninterrupted = "whole-" + suffix;

        Process first = train(interrupted);
        awaitCheckpoint(interrupted, 10, first);
        first.destroyForcibly(); // SIGKILL: no shutdown hook, no final checkpoint
        assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
        long stepAtKill = new CheckpointStore(store).latest(interrupted).step();
        assertThat(stepAtKill).isLessThan(STEPS);

        assertThat(finish(train(interrupted))).contains("resumed run " + interrupted + " from step " + stepAtKill);
        finish(train(uninterrupted));

        Map<String, TensorArchive.Tensor> resumed = finalWeights(interrupted);
        Map<String, TensorArchive.Tensor> whole = finalWeights(uninterrupted);
        Map<String, TensorArchive.Tensor> atKill = weightsAt(interrupted, stepAtKill);
        double difference = maxAbsDiff(resumed, whole);
        double trainingMoved = maxAbsDiff(whole, atKill);
        System.out.printf("killed at step >= %d: max |resumed - uninterrupted| = %.3e; the last %d steps moved weights by %.3e%n",
                stepAtKill, difference, STEPS - stepAtKill, trainingMoved);
        assertThat(trainingMoved).isGreaterThan(1e-3);
        assertThat(difference).isLessThan(1e-5);
    }

    private static Process train(String run) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.awt.headless=true", "-cp", System.getProperty("java.class.path"),
                "dev.ddpm.trainer.cli.TrainerCli", "train", "--data", data.toString(), "--preset", "tiny",
                "--steps", Integer.toString(STEPS), "--batch", "8", "--lr", "1e-3", "--warmup", "5", "--ema", "0.99",
                "--seed", "11", "--run", run, "--model", "kill-test", "--checkpoint-every", "10", "--grid-every", "1000",
                "--progress-every", "5", "--threads", "1"));
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    /** Waits for the process to end by itself; returns its output. */
    private static String finish(Process process) throws Exception {
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        return output;
    }

    private static void awaitCheckpoint(String run, long step, Process process) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (System.nanoTime() < deadline) {
            if (store.exists(Buckets.CHECKPOINTS, CheckpointStore.latestKey(run))
                    && new CheckpointStore(store).latest(run).step() >= step) {
                return;
            }
            assertThat(process.isAlive()).as("the training process is still running").isTrue();
            Thread.sleep(100);
        }
        throw new AssertionError("no checkpoint at step " + step + " of run " + run);
    }

    private static Map<String, TensorArchive.Tensor> finalWeights(String run) {
        CheckpointManifest manifest = new CheckpointStore(store).latest(run);
        assertThat(manifest.step()).isEqualTo(STEPS);
        return TensorArchive.read(store.get(manifest.weights()), run);
    }

    private static Map<String, TensorArchive.Tensor> weightsAt(String run, long step) {
        CheckpointManifest manifest = store.getJson(Buckets.CHECKPOINTS, run + "/step-" + step + "/checkpoint.json",
                CheckpointManifest.class);
        return TensorArchive.read(store.get(manifest.weights()), run);
    }

    private static double maxAbsDiff(Map<String, TensorArchive.Tensor> a, Map<String, TensorArchive.Tensor> b) {
        assertThat(a.keySet()).isEqualTo(b.keySet());
        double max = 0;
        for (String name : a.keySet()) {
            float[] x = a.get(name).values();
            float[] y = b.get(name).values();
            for (int i = 0; i < x.length; i++) {
                max = Math.max(max, Math.abs(x[i] - y[i]));
            }
        }
        return max;
    }

    private static String env(String name) {
        String value = System.getenv(name);
        if (value == null) {
            throw new IllegalStateException(name + " is not set: run through scripts/test.sh or export the stack's env");
        }
        return value;
    }
}
