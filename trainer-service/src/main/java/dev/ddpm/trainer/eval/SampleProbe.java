package dev.ddpm.trainer.eval;

import java.util.Map;

/**
 * What the quality gate scores a model's samples with: a fixed set of real images and a way to
 * measure generated ones against them, so that two models sampled alike get comparable figures.
 */
public interface SampleProbe {

    /** How many generated images one measurement takes. */
    int samples();

    /** What the figures are measured against, in words, for the evaluation's record. */
    String description();

    /** The {@code quality_*} figures of {@link #samples()} generated images (model space, the data set's geometry). */
    Map<String, Double> measure(float[][] generated);

    /** The labelled data set's probe: FLD against its floor, recognisable share, nearest-training distance. */
    static SampleProbe of(QualityProbe probe) {
        return new SampleProbe() {
            @Override
            public int samples() {
                return probe.samples();
            }

            @Override
            public String description() {
                return "the data set's classifier features (FLD, recognisable share, nearest training image) against "
                        + probe.samples() + " held-out images";
            }

            @Override
            public Map<String, Double> measure(float[][] generated) {
                return probe.measure(generated).metrics();
            }
        };
    }
}
