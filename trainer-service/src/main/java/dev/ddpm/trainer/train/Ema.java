package dev.ddpm.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Parameter;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Exponential moving average of the weights, the copy DDPM samples and exports from (Ho et al. use
 * decay 0.9999). The decay warms up as min(decay, (1 + k) / (10 + k)) so that a short run's average
 * is not dominated by the random initialisation.
 */
public final class Ema {

    private final Map<String, NDArray> shadow = new LinkedHashMap<>();

    /** An average that starts as a copy of the weights. */
    public Ema(NDManager manager, Map<String, Parameter> parameters) {
        parameters.forEach((name, p) -> {
            NDArray copy = p.getArray().duplicate();
            copy.attach(manager);
            NDScope.unregister(copy);
            shadow.put(name, copy);
        });
    }

    /** The decay used after update {@code step}: the run's decay, warmed up. */
    public static float decayAt(long step, float decay) {
        return Math.min(decay, (1f + step) / (10f + step));
    }

    /** shadow = d shadow + (1 - d) weights, after optimizer update number {@code step}. */
    public void update(Map<String, Parameter> parameters, long step, float decay) {
        float d = decayAt(step, decay);
        try (NDScope scope = new NDScope()) { // the products are temporaries of the model's manager
            parameters.forEach(
                    (name, p) -> shadow.get(name).muli(d).addi(p.getArray().mul(1 - d)));
        }
    }

    public Map<String, NDArray> shadow() {
        return shadow;
    }

    /** Runs {@code action} with the averaged weights in the model, then puts the trained weights back. */
    public <T> T withAveragedWeights(Map<String, Parameter> parameters, Supplier<T> action) {
        Map<String, NDArray> trained = new LinkedHashMap<>();
        try (NDScope scope = new NDScope()) {
            parameters.forEach((name, p) -> {
                trained.put(name, p.getArray().duplicate());
                p.getArray().set(shadow.get(name).toByteBuffer());
            });
            try {
                return action.get();
            } finally {
                parameters.forEach(
                        (name, p) -> p.getArray().set(trained.get(name).toByteBuffer()));
            }
        }
    }
}
