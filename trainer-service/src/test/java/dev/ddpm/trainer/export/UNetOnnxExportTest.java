package dev.ddpm.trainer.export;

import ai.djl.Device;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.norm.BatchNorm;
import dev.ddpm.core.diffusion.ReverseProcess;
import dev.ddpm.core.diffusion.SamplerKind;
import dev.ddpm.core.diffusion.SchedulerSettings;
import dev.ddpm.core.diffusion.Schedulers;
import dev.ddpm.core.model.DiffusionConfig;
import dev.ddpm.core.model.UNetConfig;
import dev.ddpm.core.onnx.proto.OnnxProto.ModelProto;
import dev.ddpm.core.onnx.proto.OnnxProto.NodeProto;
import dev.ddpm.trainer.model.UNetPresets;
import dev.ddpm.trainer.train.DiffusionTrainer;
import dev.ddpm.trainer.train.DjlEngine;
import dev.ddpm.trainer.train.TinyRun;
import dev.ddpm.trainer.train.TrainingSettings;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The exported graph computes what the DJL network computes: ONNX Runtime against DJL on batches
 * that mix timesteps, for every preset, random and trained weights; dropout left out; the file
 * valid for the ONNX project's own checker; whole sampling runs agreeing image for image.
 */
class UNetOnnxExportTest {

    @BeforeAll
    static void engine() {
        DjlEngine.configureOffline(2);
    }

    static Set<String> presets() {
        return UNetPresets.names();
    }

    @ParameterizedTest
    @MethodSource("presets")
    void randomWeightsAgreeWithDjlForEveryPreset(String preset) {
        UNetConfig architecture = UNetPresets.byName(preset);
        try (DiffusionTrainer trainer = trainer(architecture)) {
            double diff = parity(trainer, preset.equals("tiny") ? 6 : 3);
            System.out.printf(
                    "parity %s (%,d parameters, random weights): max |ONNX - DJL| = %.2e%n",
                    preset, trainer.network().unet().parameterCount(), diff);
            assertThat(diff).isLessThanOrEqualTo(ExportParity.TOLERANCE);
        }
    }

    @Test
    void trainedAndAveragedWeightsAgreeWithDjl() {
        try (DiffusionTrainer trainer = new DiffusionTrainer(TinyRun.settings(), Device.cpu())) {
            for (int i = 0; i < 30; i++) {
                trainer.trainStep(TinyRun.DATA);
            }
            double trained = parity(trainer, 8);
            double averaged = trainer.network().withEmaWeights(() -> parity(trainer, 8));
            System.out.printf("parity tiny after 30 steps: trained %.2e, EMA %.2e%n", trained, averaged);
            assertThat(trained).isLessThanOrEqualTo(ExportParity.TOLERANCE);
            assertThat(averaged).isLessThanOrEqualTo(ExportParity.TOLERANCE);
            // The export carries the weights it was given: trained and EMA graphs differ.
            byte[] trainedGraph = UNetOnnxExporter.export(
                    trainer.network().unet(), trainer.settings().diffusion(), Map.of());
            byte[] emaGraph = trainer.network()
                    .withEmaWeights(() -> UNetOnnxExporter.export(
                            trainer.network().unet(), trainer.settings().diffusion(), Map.of()));
            assertThat(emaGraph).isNotEqualTo(trainedGraph);
        }
    }

    @Test
    void dropoutIsLeftOutOfTheGraph() {
        UNetConfig architecture = UNetPresets.withImage(UNetPresets.byName("tiny"), 1, 8);
        try (DiffusionTrainer trainer = trainer(architecture.toBuilder()
                .attentionResolutions(List.of(4))
                .dropout(0.5)
                .build())) {
            byte[] bytes = UNetOnnxExporter.export(
                    trainer.network().unet(), trainer.settings().diffusion(), Map.of());
            List<String> ops = opTypes(bytes);
            assertThat(ops).doesNotContain("Dropout", "RandomUniform", "RandomNormal", "Bernoulli");
            try (OnnxRuntimeDenoiser onnx = new OnnxRuntimeDenoiser(bytes, 1, 8, 8)) {
                // Equal to DJL's inference-mode output, and deterministic: with dropout active neither would hold.
                assertThat(ExportParity.maxAbsDifference(onnx, trainer.network().denoiser(), 4, 64, 1000, 3))
                        .isLessThanOrEqualTo(ExportParity.TOLERANCE);
                assertThat(ExportParity.maxAbsDifference(onnx, onnx, 4, 64, 1000, 3))
                        .isZero();
            }
        }
    }

    @Test
    void samplingThroughOnnxGivesTheSameImagesAsThroughDjl() {
        try (DiffusionTrainer trainer = new DiffusionTrainer(TinyRun.settings(), Device.cpu())) {
            for (int i = 0; i < 30; i++) {
                trainer.trainStep(TinyRun.DATA);
            }
            DiffusionConfig diffusion = trainer.settings().diffusion();
            byte[] bytes = UNetOnnxExporter.export(trainer.network().unet(), diffusion, Map.of());
            for (SamplerKind kind : SamplerKind.values()) {
                int steps = kind == SamplerKind.DDIM ? 25 : 100;
                SchedulerSettings settings = SchedulerSettings.of(kind).withSteps(steps);
                float[][] viaDjl = ReverseProcess.sample(
                        trainer.network().denoiser(), () -> Schedulers.create(diffusion, settings), 6, 64, 11, 0);
                float[][] viaOnnx;
                try (OnnxRuntimeDenoiser onnx = new OnnxRuntimeDenoiser(bytes, 1, 8, 8)) {
                    viaOnnx = ReverseProcess.sample(onnx, () -> Schedulers.create(diffusion, settings), 6, 64, 11, 0);
                }
                double max = 0;
                for (int i = 0; i < viaDjl.length; i++) {
                    for (int j = 0; j < viaDjl[i].length; j++) {
                        max = Math.max(max, Math.abs(viaDjl[i][j] - viaOnnx[i][j]));
                    }
                }
                // In 8-bit pixels [-1, 1] -> [0, 255]: far below one grey level.
                System.out.printf(
                        "sampling parity %s-%d: max pixel difference %.2e (%.4f grey levels)%n",
                        kind, steps, max, max * 127.5);
                assertThat(max * 127.5).isLessThan(0.5);
            }
        }
    }

    @Test
    void theFilePassesTheOnnxProjectsOwnChecker(@TempDir Path dir) throws Exception {
        try (DiffusionTrainer trainer = trainer(UNetPresets.byName("tiny"))) {
            Path file = dir.resolve("unet.onnx");
            Files.write(
                    file,
                    UNetOnnxExporter.export(
                            trainer.network().unet(),
                            trainer.settings().diffusion(),
                            Map.of("ddpm.model", "checker-test")));
            String report = OnnxChecker.check(file);
            assertThat(report).contains("opset 17", "ddpm.diffusion", "ddpm.model");
        }
    }

    @Test
    void aBlockTheWriterDoesNotKnowIsNamed() {
        SequentialBlock model = new SequentialBlock();
        model.add(new SequentialBlock().add(BatchNorm.builder().build()));
        assertThatThrownBy(() -> UNetOnnxExporter.verifyKnown("unet", model))
                .isInstanceOf(UnsupportedBlockException.class)
                .hasMessageContaining("'unet'")
                .hasMessageContaining("SequentialBlock");
        SequentialBlock inner = new SequentialBlock().add(BatchNorm.builder().build());
        assertThatThrownBy(() -> UNetOnnxExporter.verifyKnown("unet/down0", inner))
                .hasMessageContaining("'unet/down0'");
    }

    static DiffusionTrainer trainer(UNetConfig architecture) {
        TrainingSettings settings = TrainingSettings.builder()
                .architecture(architecture)
                .batchSize(1)
                .learningRate(1e-4f)
                .warmupSteps(0)
                .emaDecay(0.999f)
                .seed(5)
                .build();
        return new DiffusionTrainer(settings, Device.cpu());
    }

    static double parity(DiffusionTrainer trainer, int batch) {
        UNetConfig a = trainer.settings().architecture();
        byte[] bytes = UNetOnnxExporter.export(
                trainer.network().unet(), trainer.settings().diffusion(), Map.of());
        try (OnnxRuntimeDenoiser onnx =
                new OnnxRuntimeDenoiser(bytes, a.imageChannels(), a.imageSize(), a.imageSize())) {
            return ExportParity.maxAbsDifference(
                    onnx,
                    trainer.network().denoiser(),
                    batch,
                    a.imageChannels() * a.imageSize() * a.imageSize(),
                    trainer.settings().diffusion().timesteps(),
                    1);
        }
    }

    static List<String> opTypes(byte[] bytes) {
        try {
            return ModelProto.parseFrom(bytes).getGraph().getNodeList().stream()
                    .map(NodeProto::getOpType)
                    .toList();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
