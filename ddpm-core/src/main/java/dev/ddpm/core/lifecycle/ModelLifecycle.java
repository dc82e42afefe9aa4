package dev.ddpm.core.lifecycle;

import dev.ddpm.core.events.EventData;
import dev.ddpm.core.events.ModelAliasChanged;
import dev.ddpm.core.events.ModelVersionDeleted;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.StoredObject;

import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The operations on a model's versions and aliases, the same from every entry point (the gateway's
 * REST and gRPC API, the trainer's quality gate, the command line): each changes
 * {@code aliases.json} first (the truth every sampler reads at start and on every announcement),
 * then announces the new state as ModelAliasChanged. An announcement that fails is logged, not
 * thrown: the document is written, and samplers re-read the documents periodically.
 */
public final class ModelLifecycle {

    /** Sends an event on its topic, waiting for the broker; throws when it cannot. */
    @FunctionalInterface
    public interface Announcer {
        void announce(EventData event);
    }

    private static final Logger LOG = Logger.getLogger(ModelLifecycle.class.getName());
    private static final String MANIFEST = "manifest.json";

    private final ArtifactStore store;
    private final ModelAliasStore aliases;
    private final Announcer announcer;
    private final Clock clock;

    public ModelLifecycle(ArtifactStore store, Announcer announcer, Clock clock) {
        this.store = store;
        this.aliases = new ModelAliasStore(store);
        this.announcer = announcer;
        this.clock = clock;
    }

    /** Versions of {@code model} with a manifest (complete ones), newest first. */
    public List<String> versions(String model) {
        return store.list(Buckets.MODELS, model + "/").stream()
                .map(StoredObject::key)
                .filter(k -> k.endsWith("/" + MANIFEST) && k.split("/").length == 3)
                .map(k -> k.split("/")[1])
                .sorted(Comparator.reverseOrder())
                .toList();
    }

    /**
     * The model's aliases. A model published before it had an alias document serves its newest
     * version: that is shown as production (revision 0, nothing written).
     *
     * @throws LifecycleException NOT_FOUND when the model has neither a document nor a version
     */
    public ModelAliases aliases(String model) {
        Optional<ModelAliases> stored = aliases.read(model);
        if (stored.isPresent()) {
            return stored.get();
        }
        List<String> versions = versions(model);
        if (versions.isEmpty()) {
            throw LifecycleException.notFound("no published model '" + model + "'");
        }
        ModelAliases none = ModelAliases.none(model, null);
        return new ModelAliases(
                none.schemaVersion(),
                model,
                0,
                none.updatedAt(),
                null,
                null,
                java.util.Map.of(ModelAliases.PRODUCTION, versions.get(0)),
                null,
                List.of());
    }

    /**
     * A version was published: it becomes the candidate, or production for the model's first.
     *
     * @param owner the key id that trained it (recorded when the model has no owner yet)
     */
    public ModelAliases published(String model, String version, String owner, String actor) {
        return change(
                model, owner, a -> servedWithoutDocument(a, version).published(version, owner, actor, clock.instant()));
    }

    /**
     * A model published before it had an alias document serves its newest version: that one, not the
     * version being published, is production when the first document is written, so the new version
     * becomes a candidate as it would for a model with a document.
     */
    private ModelAliases servedWithoutDocument(ModelAliases current, String published) {
        if (current.revision() != 0 || current.production().isPresent()) {
            return current;
        }
        return versions(current.model()).stream()
                .filter(v -> !v.equals(published))
                .findFirst()
                .map(served -> new ModelAliases(
                        current.schemaVersion(),
                        current.model(),
                        0,
                        current.updatedAt(),
                        current.owner(),
                        current.policy(),
                        java.util.Map.of(ModelAliases.PRODUCTION, served),
                        null,
                        List.of()))
                .orElse(current);
    }

    /** {@code version} becomes production (a canary split ends). */
    public ModelAliases promote(String model, String version, String actor, String reason) {
        requireVersion(model, version);
        return change(model, null, a -> a.promoted(version, actor, reason, clock.instant()));
    }

    /** Production goes back to the version it had before its last change. */
    public ModelAliases rollback(String model, String actor, String reason) {
        requireModel(model);
        return change(model, null, a -> {
            ModelAliases back = a.rolledBack(actor, reason, clock.instant());
            String target = back.production().orElseThrow();
            if (!store.exists(Buckets.MODELS, model + "/" + target + "/" + MANIFEST)) {
                throw new IllegalStateException(
                        "the previous production version " + target + " no longer exists; promote a version instead");
            }
            return back;
        });
    }

    /** Sets production's canary split (null: ends it). */
    public ModelAliases canary(String model, CanarySplit split, String actor) {
        requireModel(model);
        if (split != null) {
            requireVersion(model, split.version());
        }
        return change(model, null, a -> a.canary(split, actor, clock.instant()));
    }

    /** Sets the model's promotion and retraining policy. */
    public ModelAliases policy(String model, ModelPolicy policy, String actor) {
        requireModel(model);
        return change(model, null, a -> a.withPolicy(policy, actor, clock.instant()));
    }

    /** Sets which keys besides its owner may sample the model ({@link ModelSharing#PRIVATE}: none). */
    public ModelAliases share(String model, ModelSharing sharing, String actor) {
        requireModel(model);
        return change(model, null, a -> a.withSharing(sharing, actor, clock.instant()));
    }

    /**
     * Removes a version's files (its manifest first, so no reader finds it half-gone) and the aliases
     * naming it; announced as ModelVersionDeleted.
     *
     * @throws LifecycleException CONFLICT for the production version or the canary's, NOT_FOUND for
     *     a version that does not exist
     */
    public ModelAliases deleteVersion(String model, String version, String actor) {
        requireVersion(model, version);
        ModelAliases current = aliases(model);
        ModelAliases after;
        if (current.revision() == 0) {
            // Without a document the newest version is what is served: refuse it as production.
            if (current.production().filter(version::equals).isPresent()) {
                throw LifecycleException.conflict("version " + version + " is production of model '" + model
                        + "': promote or roll back to another version before deleting it");
            }
            after = current;
        } else {
            after = change(model, null, a -> a.deleted(version, actor, clock.instant()));
        }
        String prefix = model + "/" + version + "/";
        store.delete(Buckets.MODELS, prefix + MANIFEST);
        store.deleteAll(Buckets.MODELS, prefix);
        announce(new ModelVersionDeleted(model, version, actor));
        return after;
    }

    /** The key id recorded as the model's owner, if any. */
    public Optional<String> owner(String model) {
        return aliases.read(model).map(ModelAliases::owner);
    }

    private ModelAliases change(String model, String owner, UnaryOperator<ModelAliases> operation) {
        ModelAliases before;
        ModelAliases after;
        try {
            before = aliases.read(model).orElse(null);
            after = aliases.update(model, owner, operation);
        } catch (IllegalStateException e) {
            throw LifecycleException.conflict(e.getMessage());
        }
        if (before == null || after.revision() != before.revision()) {
            AliasChange change = after.history().isEmpty()
                    ? null
                    : after.history().get(after.history().size() - 1);
            if (change != null) {
                announce(new ModelAliasChanged(model, after.revision(), after.aliases(), after.canary(), change));
            }
        }
        return after;
    }

    private void announce(EventData event) {
        try {
            announcer.announce(event);
        } catch (RuntimeException e) {
            LOG.log(
                    Level.WARNING,
                    "{0} for {1} is written but was not announced ({2}); samplers read it at their next refresh",
                    new Object[] {event.getClass().getSimpleName(), event.partitionKey(), e.getMessage()});
        }
    }

    private void requireModel(String model) {
        if (aliases.read(model).isEmpty() && versions(model).isEmpty()) {
            throw LifecycleException.notFound("no published model '" + model + "'");
        }
    }

    private void requireVersion(String model, String version) {
        if (!store.exists(Buckets.MODELS, model + "/" + version + "/" + MANIFEST)) {
            throw LifecycleException.notFound("model '" + model + "' has no version '" + version + "'");
        }
    }
}
