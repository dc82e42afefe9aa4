package dev.ddpm.trainer.bench;

import ai.djl.Device;
import dev.ddpm.core.diffusion.SeededNoise;
import dev.ddpm.core.model.UNetConfig;
import dev.ddpm.trainer.data.ImageSet;
import dev.ddpm.trainer.model.UNetPresets;
import dev.ddpm.trainer.train.DiffusionTrainer;
import dev.ddpm.trainer.train.DjlEngine;
import dev.ddpm.trainer.train.TrainingSettings;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Training speed and memory of the presets, side by side in one process on this machine:
 * {@code scripts/bench-train.sh [steps] [batch] [presets...]}. For each preset: parameters, ms per
 * optimizer step, images/s, and resident memory after the first and after the last step (flat memory
 * means the two agree). Data are random images of the preset's geometry: speed does not depend on
 * content.
 */
public final class TrainingBenchmark {

    private TrainingBenchmark() {}

    public static void main(String[] args) {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 32;
        List<String> presets =
                args.length > 2 ? List.of(args).subList(2, args.length) : List.of("tiny", "mnist", "article");
        DjlEngine.configureOffline(0);
        Device device = DjlEngine.select(System.getProperty("device", "auto"));
        List<String> rows = new ArrayList<>();
        rows.add("| preset | image | parameters | batch | steps | ms/step | images/s | RSS after warm-up (MB) "
                + "| RSS at steps/10 (MB) | RSS at end (MB) | end vs steps/10 |");
        rows.add("|---|---|---|---|---|---|---|---|---|---|---|");
        for (String preset : presets) {
            UNetConfig arch = UNetPresets.byName(preset);
            TrainingSettings settings = TrainingSettings.builder()
                    .architecture(arch)
                    .batchSize(batch)
                    .learningRate(2e-4f)
                    .warmupSteps(0)
                    .emaDecay(0.9999f)
                    .seed(1)
                    .build();
            try (DiffusionTrainer trainer = new DiffusionTrainer(settings, device)) {
                ImageSet data = new RandomImages(arch.imageChannels(), arch.imageSize(), 256);
                for (int i = 0; i < 3; i++) {
                    trainer.trainStep(data);
                }
                long rssStart = residentMegabytes();
                long rssTenth = rssStart;
                long start = System.nanoTime();
                for (int i = 0; i < steps; i++) {
                    trainer.trainStep(data);
                    if (i + 1 == Math.max(1, steps / 10)) {
                        rssTenth = residentMegabytes();
                    }
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                long rssEnd = residentMegabytes();
                String row = String.format(
                        "| %s | %dx%dx%d | %,d | %d | %d | %.0f | %.1f | %d | %d | %d | %+.1f%% |",
                        preset,
                        arch.imageChannels(),
                        arch.imageSize(),
                        arch.imageSize(),
                        trainer.network().unet().parameterCount(),
                        batch,
                        steps,
                        seconds * 1000 / steps,
                        steps * batch / seconds,
                        rssStart,
                        rssTenth,
                        rssEnd,
                        100.0 * (rssEnd - rssTenth) / rssTenth);
                System.out.println(row);
                rows.add(row);
            }
        }
        System.out.println();
        System.out.println(String.join("\n", rows));
    }

    static long residentMegabytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** Gaussian images of a fixed geometry. */
    record RandomImages(int channels, int imageSize, int size) implements ImageSet {
        @Override
        public float[] image(int index) {
            return SeededNoise.forSample(99, index).draw(0, channels * imageSize * imageSize);
        }
    }
}
