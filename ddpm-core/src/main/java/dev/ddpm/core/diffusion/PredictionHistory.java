package dev.ddpm.core.diffusion;

import java.util.Arrays;

/**
 * The newest data predictions m_0, m_1, m_2 of a multistep solver and the lambda_t each was made at,
 * newest first: what DPM-Solver++ and UniPC difference to reach their higher orders.
 */
final class PredictionHistory {

    /** One prediction per order: order p differences the newest p. */
    static final int DEPTH = Schedulers.MAX_ORDER;

    private final float[][] predictions = new float[DEPTH][];
    private final double[] lambdas = new double[DEPTH];

    void push(float[] prediction, double lambda) {
        System.arraycopy(predictions, 0, predictions, 1, DEPTH - 1);
        System.arraycopy(lambdas, 0, lambdas, 1, DEPTH - 1);
        predictions[0] = prediction;
        lambdas[0] = lambda;
    }

    /** m_k: the prediction k steps back (0: the newest). */
    float[] prediction(int k) {
        return predictions[k];
    }

    double lambda(int k) {
        return lambdas[k];
    }

    /** r_k = (lambda_{k} - lambda_0) / h for k = 1..p-1, then 1: the step ratios UniPC's R and b use. */
    double[] ratios(double h, int p) {
        double[] r = new double[p];
        for (int k = 1; k < p; k++) {
            r[k - 1] = (lambdas[k] - lambdas[0]) / h;
        }
        r[p - 1] = 1.0;
        return r;
    }

    void clear() {
        Arrays.fill(predictions, null);
        Arrays.fill(lambdas, 0);
    }
}
