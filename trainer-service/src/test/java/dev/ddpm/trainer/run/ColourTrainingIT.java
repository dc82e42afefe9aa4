package dev.ddpm.trainer.run;

import ai.djl.Device;
import dev.ddpm.core.diffusion.ReverseProcess;
import dev.ddpm.core.diffusion.SamplerKind;
import dev.ddpm.core.diffusion.SchedulerSettings;
import dev.ddpm.core.diffusion.Schedulers;
import dev.ddpm.core.model.DiffusionConfig;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.ObjectRef;
import dev.ddpm.core.testing.TestStack;
import dev.ddpm.trainer.checkpoint.CheckpointStore;
import dev.ddpm.trainer.data.ColouredShapes;
import dev.ddpm.trainer.data.InMemoryImageSet;
import dev.ddpm.trainer.eval.QualityProbe;
import dev.ddpm.trainer.eval.QualityReport;
import dev.ddpm.trainer.model.UNetPresets;
import dev.ddpm.trainer.train.DiffusionNetwork;
import dev.ddpm.trainer.train.DiffusionTrainer;
import dev.ddpm.trainer.train.DjlEngine;
import dev.ddpm.trainer.train.TrainingSettings;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A short colour training through {@link TrainingRun} against the real S3 server: the tiny colour
 * preset on generated coloured shapes, with quality measured during the run. The run reports the
 * metric at its interval and at its end, and the trained model's samples are far closer to the
 * data than an untrained model's: by the FLD and by the distance to the nearest training image.
 */
class ColourTrainingIT {

    private static final int STEPS = 400;

    @Test
    void aColourRunReportsItsQualityAndEndsCloserToTheDataThanAnUntrainedModel() {
        DjlEngine.configureOffline(2);
        InMemoryImageSet shapes = ColouredShapes.generate(480, 16, 5);
        TrainingSettings settings = TrainingSettings.builder()
                .architecture(UNetPresets.byName("tiny-colour"))
                .batchSize(16)
                .learningRate(2e-3f)
                .warmupSteps(50)
                .decaySteps(STEPS)
                .emaDecay(0.99f)
                .horizontalFlip(true)
                .seed(7)
                .build();
        String run = "colour-" + UUID.randomUUID().toString().substring(0, 8);
        RunPlan plan = RunPlan.builder()
                .runId(run)
                .modelName("shapes")
                .dataset("shapes")
                .settings(settings)
                .totalSteps(STEPS)
                .checkpointEvery(1000)
                .progressEvery(100)
                .gridEvery(1000)
                .keepCheckpoints(5)
                .qualityEvery(200)
                .qualitySamples(48)
                .build();
        List<RunProgress> reports = new ArrayList<>();
        try (ArtifactStore store = new ArtifactStore(TestStack.s3())) {
            ObjectRef checkpoint =
                    new TrainingRun(plan, shapes, Device.cpu(), store, new Recording(reports), null).run(() -> false);
            List<RunProgress> measured =
                    reports.stream().filter(p -> !p.quality().isEmpty()).toList();
            assertThat(measured).extracting(RunProgress::step).containsExactly(200L, 400L);
            Map<String, Double> last = measured.get(1).quality();
            System.out.println("in-run quality at 200: " + measured.get(0).quality() + "\nat 400: " + last);
            assertThat(last)
                    .containsKeys(
                            "quality_fld",
                            "quality_fld_floor",
                            "quality_recognisable",
                            "quality_real_recognisable",
                            "quality_nearest_train",
                            "quality_real_nearest_train");

            try (QualityProbe probe = QualityProbe.train(shapes, 48, true, Device.cpu(), 7);
                    DiffusionNetwork trained = new CheckpointStore(store).restore(run, Device.cpu());
                    DiffusionTrainer untrained = new DiffusionTrainer(settings, Device.cpu())) {
                assertThat(checkpoint.key()).contains(run);
                QualityReport trainedReport =
                        probe.measure(trained.withEmaWeights(() -> sample(trained, probe.samples())));
                QualityReport untrainedReport = probe.measure(sample(untrained.network(), probe.samples()));
                System.out.println("trained: " + trainedReport + "\nuntrained: " + untrainedReport);
                assertThat(trainedReport.fld()).isLessThan(untrainedReport.fld() / 3);
                // 400 steps give blurred shapes, rarely crisp enough for a confident call; they sit far nearer
                // the data than an untrained model's samples do, though.
                assertThat(trainedReport.memorisation().medianNearest())
                        .isLessThan(untrainedReport.memorisation().medianNearest() / 1.5);
                assertThat(last.get("quality_fld"))
                        .as("the run's own last measurement")
                        .isLessThan(untrainedReport.fld() / 3);
            }
        }
    }

    private static float[][] sample(DiffusionNetwork network, int count) {
        return ReverseProcess.sample(
                network.denoiser(),
                () -> Schedulers.create(
                        DiffusionConfig.ho2020(),
                        SchedulerSettings.of(SamplerKind.UNIPC).withSteps(20)),
                count,
                3 * 16 * 16,
                99,
                0);
    }

    private record Recording(List<RunProgress> reports) implements RunListener {
        @Override
        public void started(long parameterCount, String device, long startStep, long totalSteps) {}

        @Override
        public void progress(RunProgress progress) {
            reports.add(progress);
        }

        @Override
        public void checkpointSaved(long step, ObjectRef checkpoint) {}

        @Override
        public void completed(long step, double loss, ObjectRef checkpoint, String modelVersion) {}

        @Override
        public void failed(long step, String reason) {}
    }
}
