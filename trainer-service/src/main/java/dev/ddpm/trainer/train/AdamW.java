package dev.ddpm.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Parameter;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW (Loshchilov and Hutter 2019) written out, so that its state (first and second moments, step
 * count) can be checkpointed and restored exactly: DJL's optimizers keep theirs private.
 *
 * m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  p -= lr (m / (1 - b1^k)) / (sqrt(v / (1 - b2^k)) + eps) + lr wd p
 */
public final class AdamW {

    private final float beta1;
    private final float beta2;
    private final float epsilon;
    private final float weightDecay;
    private final NDManager manager;
    private final Map<String, NDArray> firstMoments = new LinkedHashMap<>();
    private final Map<String, NDArray> secondMoments = new LinkedHashMap<>();
    private long updates;

    public AdamW(NDManager manager, float beta1, float beta2, float epsilon, float weightDecay) {
        this.manager = manager;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.weightDecay = weightDecay;
    }

    public long updates() {
        return updates;
    }

    /** One update of every parameter from its gradient, at learning rate {@code lr}. */
    public void update(Map<String, Parameter> parameters, float lr) {
        updates++;
        float correction1 = (float) (1 - Math.pow(beta1, updates));
        float correction2 = (float) (1 - Math.pow(beta2, updates));
        for (Map.Entry<String, Parameter> entry : parameters.entrySet()) {
            NDArray weight = entry.getValue().getArray();
            NDArray grad = weight.getGradient();
            NDArray m = firstMoments.computeIfAbsent(entry.getKey(), k -> zerosLike(weight));
            NDArray v = secondMoments.computeIfAbsent(entry.getKey(), k -> zerosLike(weight));
            m.muli(beta1).addi(grad.mul(1 - beta1));
            v.muli(beta2).addi(grad.square().muli(1 - beta2));
            NDArray step = m.div(correction1).divi(v.div(correction2).sqrt().addi(epsilon));
            if (weightDecay > 0) {
                step.addi(weight.mul(weightDecay));
            }
            weight.subi(step.muli(lr));
        }
    }

    private NDArray zerosLike(NDArray weight) {
        // Lives as long as the optimizer, not as long as the step's NDScope.
        NDArray zeros = manager.zeros(weight.getShape(), weight.getDataType(), weight.getDevice());
        NDScope.unregister(zeros);
        return zeros;
    }

    /** Moments by parameter name, for checkpoints. */
    public Map<String, NDArray> firstMoments() {
        return firstMoments;
    }

    public Map<String, NDArray> secondMoments() {
        return secondMoments;
    }

    /** Restores the state written by a checkpoint. */
    public void restore(
            long updates, Map<String, float[]> first, Map<String, float[]> second, Map<String, Parameter> parameters) {
        this.updates = updates;
        firstMoments.clear();
        secondMoments.clear();
        for (var entry : parameters.entrySet()) {
            NDArray weight = entry.getValue().getArray();
            if (first.containsKey(entry.getKey())) {
                firstMoments.put(
                        entry.getKey(),
                        manager.create(first.get(entry.getKey()), weight.getShape())
                                .toDevice(weight.getDevice(), false));
                secondMoments.put(
                        entry.getKey(),
                        manager.create(second.get(entry.getKey()), weight.getShape())
                                .toDevice(weight.getDevice(), false));
            }
        }
    }
}
