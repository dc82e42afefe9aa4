package dev.ddpm.sampler.registry;

import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Models whose update on {@code ddpm.models} could not be applied because S3 stayed away longer than
 * its retries: the periodic alias refresh ({@link InitialModels#refresh}) serves each as the bucket
 * says once S3 answers, so that the update is not lost with its record.
 */
@ApplicationScoped
public class MissedModelUpdates {

    private final Set<String> models = ConcurrentHashMap.newKeySet();

    public void missed(String model) {
        models.add(model);
    }

    /** The models to serve afresh, in no particular order. */
    public List<String> models() {
        return List.copyOf(models);
    }

    /** The model is served as the bucket says now. */
    public void caughtUp(String model) {
        models.remove(model);
    }
}
