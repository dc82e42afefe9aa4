package dev.ddpm.trainer.cli;

import ai.djl.Device;
import dev.ddpm.core.api.TrainingRequest;
import dev.ddpm.core.messaging.EventPublisher;
import dev.ddpm.core.model.UNetConfig;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.trainer.checkpoint.CheckpointManifest;
import dev.ddpm.trainer.checkpoint.CheckpointStore;
import dev.ddpm.trainer.data.DatasetReader;
import dev.ddpm.trainer.data.InMemoryImageSet;
import dev.ddpm.trainer.run.RunListener;
import dev.ddpm.trainer.run.RunPlan;
import dev.ddpm.trainer.run.TimeLimit;
import dev.ddpm.trainer.run.TrainingRun;
import dev.ddpm.trainer.train.DjlEngine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.math.BigDecimal;
import java.nio.file.Path;

/** {@code train}: a run in this process, its checkpoints, grids and loss curve in S3. */
@Command(
        name = "train",
        sortOptions = false,
        description = {
            "Trains in this process; checkpoints, grids and the loss curve go to S3. A run with "
                    + "checkpoints resumes from the newest one.",
            "Past --max-minutes the run pauses at its next step with a checkpoint (train again with the same "
                    + "--run to go on); past --time-box minutes of training (all attempts) the run ends there "
                    + "instead, its cosine decay fitted to the steps the machine reaches."
        })
final class TrainCommand implements Runnable {

    @Spec
    private CommandSpec spec;

    @Option(
            names = "--data",
            paramLabel = "PATH",
            required = true,
            description = "the data set: a folder of PNG/JPEG images, a zip or tar(.gz) of one, IDX files (MNIST) or "
                    + "CIFAR-10 binary batches; its file name names it (and the model, unless --model)")
    private Path data;

    @Mixin
    private TrainingOptions training;

    @Option(
            names = "--max-minutes",
            paramLabel = "MINUTES",
            defaultValue = "0",
            converter = TrainingOptions.Minutes.class,
            description =
                    "pause the run at its next step past this many minutes, resumable (default: ${DEFAULT-VALUE}, "
                            + "no limit)")
    private double maxMinutes;

    @Option(
            names = "--time-box",
            paramLabel = "MINUTES",
            defaultValue = "0",
            converter = TrainingOptions.Minutes.class,
            description = "end the run past this many minutes of training, all attempts together (default: "
                    + "${DEFAULT-VALUE}, none)")
    private double timeBox;

    @Option(
            names = "--progress-every",
            paramLabel = "N",
            defaultValue = "50",
            description = "steps between progress lines (default: ${DEFAULT-VALUE})")
    private int progressEvery;

    @Option(
            names = "--grid-every",
            paramLabel = "N",
            defaultValue = "1000",
            description = "steps between preview grids (default: ${DEFAULT-VALUE})")
    private int gridEvery;

    @Option(
            names = "--quality-samples",
            paramLabel = "N",
            defaultValue = "" + RunPlan.DEFAULT_QUALITY_SAMPLES,
            description = "samples of each quality measurement (default: ${DEFAULT-VALUE})")
    private int qualitySamples;

    @Option(
            names = "--device",
            paramLabel = "DEVICE",
            defaultValue = "auto",
            description = "auto, cpu or gpu (default: ${DEFAULT-VALUE})")
    private String device;

    @Option(
            names = "--gpus",
            paramLabel = "N",
            defaultValue = "0",
            description = "GPUs to train on data-parallel (default: ${DEFAULT-VALUE}, all)")
    private int gpus;

    @Option(
            names = "--threads",
            paramLabel = "N",
            defaultValue = "0",
            description = "CPU threads (default: ${DEFAULT-VALUE}, the engine's choice)")
    private int threads;

    @Option(
            names = "--export",
            paramLabel = "BOOLEAN",
            arity = "1",
            defaultValue = "false",
            description = "publish the model when the run ends, and announce it on Kafka (default: ${DEFAULT-VALUE})")
    private boolean export;

    @Mixin
    private Connections connections;

    @Override
    public void run() {
        if (maxMinutes > 0 && timeBox > 0) {
            throw new ParameterException(
                    spec.commandLine(), "--max-minutes (pause) and --time-box (end there) exclude each other");
        }
        TrainingRequest request = request();
        RunPlan plan = RunPlan.of(
                training.runId(request), request, new RunPlan.Reporting(progressEvery, gridEvery, 0, qualitySamples));
        DjlEngine.configureOffline(threads);
        Device chosen = DjlEngine.select(device, gpus);
        UNetConfig arch = plan.settings().architecture();
        InMemoryImageSet images = new DatasetReader(arch.imageChannels(), arch.imageSize()).read(data);
        PrintWriter out = spec.commandLine().getOut();
        out.printf(
                "%d images (%d skipped) from %s%n",
                images.size(), images.skipped().size(), data);
        // --max-minutes pauses (resumable with the same command): here the person can simply go on.
        // --time-box ends the run as a requested run's maxMinutes does.
        TimeLimit pastLimit = TimeLimit.minutes(maxMinutes);
        try (ArtifactStore store = connections.store()) {
            store.ensureBuckets(Buckets.ALL);
            if (export) {
                try (EventPublisher events = new EventPublisher(connections.kafka(), Connections.EVENT_SOURCE)) {
                    new TrainingRun(
                                    plan,
                                    images,
                                    chosen,
                                    store,
                                    RunListener.NONE,
                                    ExportCommand.publisher(store, events, connections.signer()))
                            .run(pastLimit, timeBox);
                }
            } else {
                new TrainingRun(plan, images, chosen, store, RunListener.NONE, null).run(pastLimit, timeBox);
            }
            CheckpointManifest latest = new CheckpointStore(store).latest(plan.runId());
            long reached = latest.step();
            if (reached < plan.totalSteps() && latest.ended()) {
                out.printf(
                        "run %s ended at its %s-minute time box at step %d of %d (%.1f minutes trained); "
                                + "checkpoints, grids and loss.png under %s/%s/%n",
                        plan.runId(),
                        plain(timeBox),
                        reached,
                        plan.totalSteps(),
                        latest.trainingSeconds() / 60,
                        Buckets.CHECKPOINTS,
                        plan.runId());
            } else if (reached < plan.totalSteps()) {
                out.printf(
                        "run %s stopped at its %s-minute limit at step %d of %d (checkpoint saved); "
                                + "train again with --run %s to go on%n",
                        plan.runId(), plain(maxMinutes), reached, plan.totalSteps(), plan.runId());
            } else {
                out.printf(
                        "run %s done: checkpoints, grids and loss.png under %s/%s/%n",
                        plan.runId(), Buckets.CHECKPOINTS, plan.runId());
            }
        }
    }

    /** The request the options describe, named after the data set's file; its time limit is this command's. */
    TrainingRequest request() {
        return training.request(TrainerCli.safeName(data.getFileName().toString()), 0);
    }

    /** Minutes as a person wrote them: 5, 0.5, 0.0001. */
    private static String plain(double minutes) {
        return BigDecimal.valueOf(minutes).stripTrailingZeros().toPlainString();
    }
}
