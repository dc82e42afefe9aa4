package dev.ddpm.trainer.eval;

import ai.djl.Device;
import dev.ddpm.trainer.checkpoint.CheckpointManifest;
import dev.ddpm.trainer.checkpoint.CheckpointStore;
import dev.ddpm.trainer.data.DatasetReader;
import dev.ddpm.trainer.data.InMemoryImageSet;
import dev.ddpm.trainer.train.DiffusionNetwork;

import java.nio.file.Path;

/**
 * The quality of a run's samples on any labelled data set (emoji, CIFAR-10, IDX with labels, a folder
 * per class) through a {@link QualityProbe}: its classifier trains on 80 % of the set, the metric
 * compares with the other 20 % (so at most a tenth of the set is sampled), plus the memorisation check.
 */
public final class LabelledEvaluation {

    public static final int DEFAULT_SAMPLES = 200;

    private LabelledEvaluation() {}

    /**
     * @param data    the labelled data set, read at the run's image shape
     * @param samples samples asked for (the probe may take fewer, see {@link QualityProbe#samples()})
     * @param seed    seeds the probe's split and classifier and the samples' noise
     */
    public static EvaluationResult evaluate(
            CheckpointStore checkpoints,
            String run,
            Device device,
            Path data,
            int samples,
            long seed,
            SampleSource source) {
        CheckpointManifest manifest = checkpoints.latest(run);
        int c = manifest.architecture().imageChannels();
        int size = manifest.architecture().imageSize();
        InMemoryImageSet images = new DatasetReader(c, size).read(data);
        try (QualityProbe probe = QualityProbe.train(images, samples, c == 3, device, seed);
                DiffusionNetwork network = checkpoints.restore(run, device)) {
            long started = System.nanoTime();
            SampleSource.Drawn drawn = source.draw(network, probe.samples(), seed);
            double sampling = (System.nanoTime() - started) / 1e9;
            return new EvaluationResult(
                    run, manifest.step(), drawn.description(), probe.measure(drawn.images()), sampling);
        }
    }
}
