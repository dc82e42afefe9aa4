package dev.ddpm.trainer.bench;

import ai.djl.Device;
import dev.ddpm.core.model.UNetConfig;
import dev.ddpm.trainer.export.ExportParity;
import dev.ddpm.trainer.export.OnnxRuntimeDenoiser;
import dev.ddpm.trainer.export.UNetOnnxExporter;
import dev.ddpm.trainer.model.UNetPresets;
import dev.ddpm.trainer.train.DiffusionTrainer;
import dev.ddpm.trainer.train.DjlEngine;
import dev.ddpm.trainer.train.TrainingSettings;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * The trainer half of {@code scripts/gpu-check.sh}: a few hundred steps of a preset on DJL's CUDA
 * natives with images/s, then the export of the trained UNet to ONNX, checked against DJL (ONNX
 * Runtime on the CPU against libtorch on the GPU) and written with its manifest for the sampler
 * half. A machine where PyTorch sees no CUDA device fails at once with the reason (exit status 3).
 *
 * <p>Arguments: output folder, steps, batch, preset, device (gpu; cpu only to try the script out).
 */
public final class GpuTrainingCheck {

    private GpuTrainingCheck() {}

    public static void main(String[] args) {
        Path out = Path.of(args.length > 0 ? args[0] : ".run/gpu-check");
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 300;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 128;
        String preset = args.length > 3 ? args[3] : "article";
        String choice = args.length > 4 ? args[4] : "gpu";
        DjlEngine.configureOffline(0);
        Device device;
        try {
            device = DjlEngine.select(choice);
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            System.out.println(
                    "[gpu-check] the trainer cannot use a GPU: " + e.getMessage() + "\n[gpu-check] DJL needs the"
                            + " CUDA build of libtorch (the trainer built with -Pcuda, pytorch-native-cu124) and the NVIDIA driver;"
                            + " nvidia-smi must list the GPU.");
            System.exit(3);
            return;
        }
        UNetConfig arch = UNetPresets.byName(preset);
        TrainingSettings settings = TrainingSettings.builder()
                .architecture(arch)
                .batchSize(batch)
                .learningRate(2e-4f)
                .warmupSteps(0)
                .emaDecay(0.9999f)
                .horizontalFlip(arch.imageChannels() == 3)
                .seed(1)
                .build();
        try (DiffusionTrainer trainer = new DiffusionTrainer(settings, device)) {
            TrainingBenchmark.RandomImages data =
                    new TrainingBenchmark.RandomImages(arch.imageChannels(), arch.imageSize(), Math.max(256, batch));
            for (int i = 0; i < 3; i++) {
                trainer.trainStep(data); // warm-up: cuDNN picks its kernels on the first steps
            }
            long start = System.nanoTime();
            float loss = 0;
            for (int i = 0; i < steps; i++) {
                loss = trainer.trainStep(data);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf(
                    Locale.ROOT,
                    "[gpu-check] trainer: %s (%,d parameters) on %s, batch %d: %d steps in %.1f s,"
                            + " %.1f images/s, loss %.4f%n",
                    preset,
                    trainer.network().unet().parameterCount(),
                    device,
                    batch,
                    steps,
                    seconds,
                    steps * batch / seconds,
                    loss);
            long exportStart = System.nanoTime();
            byte[] graph = UNetOnnxExporter.export(trainer.network().unet(), settings.diffusion(), Map.of());
            InferenceBenchmark.writeModel(out.resolve(preset), preset, arch, settings.diffusion(), graph);
            int length = arch.imageChannels() * arch.imageSize() * arch.imageSize();
            try (OnnxRuntimeDenoiser onnx = OnnxRuntimeDenoiser.withThreads(
                    graph, 0, arch.imageChannels(), arch.imageSize(), arch.imageSize())) {
                double diff =
                        ExportParity.maxAbsDifference(onnx, trainer.network().denoiser(), 4, length, 1000, 9);
                System.out.printf(
                        Locale.ROOT,
                        "[gpu-check] export: %,d bytes of ONNX in %.1f s, max |ORT (CPU) - DJL (%s)|"
                                + " = %.1e, written to %s%n",
                        graph.length,
                        (System.nanoTime() - exportStart) / 1e9,
                        device,
                        diff,
                        out.resolve(preset));
                // cuDNN convolves in TF32 by default on Ampere and later (about 1e-3 relative), so the GPU side
                // differs from ORT's FP32 by more than the 1e-5 of CPU against CPU; a broken export differs by O(1).
                if (!(diff < 0.05)) {
                    System.out.println("[gpu-check] the export does not match the trained network");
                    System.exit(4);
                }
            }
        }
    }
}
