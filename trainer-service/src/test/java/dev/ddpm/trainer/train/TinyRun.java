package dev.ddpm.trainer.train;

import ai.djl.nn.Parameter;
import dev.ddpm.trainer.data.SyntheticPatterns;
import dev.ddpm.trainer.model.UNetPresets;

import java.util.LinkedHashMap;
import java.util.Map;

/** The settings the trainer's tests share: the tiny preset on 8x8 synthetic patterns. */
public final class TinyRun {

    /** Four patterns with weights 0.4, 0.3, 0.2, 0.1. */
    public static final SyntheticPatterns DATA = new SyntheticPatterns(8, 4, 3, 2, 1);

    private TinyRun() {}

    public static TrainingSettings settings() {
        return TrainingSettings.builder()
                .architecture(UNetPresets.withImage(UNetPresets.byName("tiny"), 1, 8))
                .batchSize(32)
                .learningRate(2e-3f)
                .warmupSteps(50)
                .emaDecay(0.99f)
                .seed(7)
                .build();
    }

    /** {@link #settings()} with dropout in every residual block. */
    public static TrainingSettings settingsWithDropout(double dropout) {
        TrainingSettings s = settings();
        return s.toBuilder()
                .architecture(s.architecture().toBuilder().dropout(dropout).build())
                .build();
    }

    /** A copy of the weights' values, by parameter name. */
    public static Map<String, float[]> values(Map<String, Parameter> parameters) {
        Map<String, float[]> values = new LinkedHashMap<>();
        parameters.forEach((name, p) -> values.put(name, p.getArray().toFloatArray()));
        return values;
    }

    /**
     * Mean absolute difference of two weight sets. Mean, not max: Adam's early steps are about
     * lr * sign(g), so a weight whose gradient is zero up to rounding may step either way, while
     * what a real difference changes (a lost shard, other dropout masks) is every weight's gradient.
     */
    public static double meanDifference(Map<String, float[]> a, Map<String, float[]> b) {
        double sum = 0;
        long count = 0;
        for (var entry : a.entrySet()) {
            float[] x = entry.getValue();
            float[] y = b.get(entry.getKey());
            for (int i = 0; i < x.length; i++) {
                sum += Math.abs(x[i] - y[i]);
            }
            count += x.length;
        }
        return sum / count;
    }
}
