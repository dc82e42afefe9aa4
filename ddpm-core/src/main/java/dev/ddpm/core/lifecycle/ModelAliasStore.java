package dev.ddpm.core.lifecycle;

import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.ObjectNotFoundException;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.UnaryOperator;

/**
 * Reads and changes {@code ddpm-models/{model}/aliases.json}. A change is read, applied and written
 * under a lock per model (one process), and the revision is read again just before the write: when
 * another process wrote in between, the change is applied again to what it wrote. Two processes
 * writing within the same few milliseconds can still both succeed (S3 has no compare-and-set here);
 * the later document wins and its history is the one kept.
 */
public final class ModelAliasStore {

    public static final String FILE = "aliases.json";
    private static final int ATTEMPTS = 5;
    private static final ConcurrentMap<String, Object> LOCKS = new ConcurrentHashMap<>();

    private final ArtifactStore store;

    public ModelAliasStore(ArtifactStore store) {
        this.store = store;
    }

    /** The object key of a model's alias document in the models bucket. */
    public static String key(String model) {
        return model + "/" + FILE;
    }

    /**
     * The model's alias document; empty when it has none (no version published since aliases exist).
     *
     * @throws InvalidPayloadException when the document is there but malformed
     */
    public Optional<ModelAliases> read(String model) {
        try {
            return Optional.of(store.getJson(Buckets.MODELS, key(model), ModelAliases.class));
        } catch (ObjectNotFoundException e) {
            return Optional.empty();
        }
    }

    /**
     * Applies {@code change} to the current document (or to {@link ModelAliases#none} for a model
     * without one) and writes the result when it differs; returns the document as it is now.
     *
     * @throws IllegalStateException from {@code change} (a refused operation), or when the document
     *     kept changing underneath
     */
    public ModelAliases update(String model, String owner, UnaryOperator<ModelAliases> change) {
        synchronized (LOCKS.computeIfAbsent(model, m -> new Object())) {
            for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
                ModelAliases current = read(model).orElseGet(() -> ModelAliases.none(model, owner));
                ModelAliases next = change.apply(current);
                if (next.revision() == current.revision()) {
                    return current;
                }
                long stored = read(model).map(ModelAliases::revision).orElse(0L);
                if (stored != current.revision()) {
                    continue; // written by another process since we read it: apply the change to theirs
                }
                store.putJson(Buckets.MODELS, key(model), next);
                return next;
            }
            throw new IllegalStateException("the aliases of model '" + model + "' changed " + ATTEMPTS
                    + " times while this change was made; retry");
        }
    }
}
