package dev.ddpm.gateway.service;

import dev.ddpm.core.lifecycle.ModelAliases;
import dev.ddpm.gateway.auth.Caller;
import dev.ddpm.gateway.auth.Scope;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which keys may see, sample and change each model, for every entry point of both APIs (model
 * reads and changes, sampling in all its forms, training under a model's name). A key sees a model
 * it owns or that is shared with it ({@link ModelAliases#sampleableBy}); an admin sees every model.
 * Any other model answers exactly as a model that does not exist, so that a key cannot tell one
 * from the other. A model without a recorded owner (published by the command line) is the admins'.
 *
 * <p>What each model's alias document says of its owner and sharing is kept here, so that sampling
 * adds no S3 read per request: a change made through this replica is seen at once ({@link #forget}),
 * one made elsewhere when its announcement on {@code ddpm.models} arrives, and
 * {@link #KNOWN_TTL} bounds how long a missed announcement could go unseen.
 */
@Singleton
public class ModelAccess {

    /** How long a model's owner and sharing are trusted without an announcement. */
    static final Duration KNOWN_TTL = Duration.ofMinutes(1);
    /** How long a name without a model is remembered as such (a publication is announced, and forgets it). */
    static final Duration UNKNOWN_TTL = Duration.ofSeconds(10);

    static final int MAX_MODELS_KEPT = 4096;

    private final ModelCatalog catalog;
    private final ExpiringCache<String, Optional<ModelAliases>> models;

    public ModelAccess(ModelCatalog catalog) {
        this.catalog = catalog;
        this.models = new ExpiringCache<>(MAX_MODELS_KEPT, System::nanoTime);
    }

    /**
     * The model's alias document as far as access goes (owner and sharing, nothing else); a model with
     * versions but no document has no owner. Empty: no such model.
     */
    public Optional<ModelAliases> find(String model) {
        return models.get(model, this::load, found -> found.isPresent() ? KNOWN_TTL : UNKNOWN_TTL);
    }

    private Optional<ModelAliases> load(String model) {
        Optional<ModelAliases> document = catalog.aliases(model);
        if (document.isPresent()) {
            return document.map(ModelAccess::ownerAndSharing);
        }
        return catalog.versions(model).isEmpty() ? Optional.empty() : Optional.of(ModelAliases.none(model, null));
    }

    /** What access needs of a document, kept small: its history may hold hundreds of changes. */
    private static ModelAliases ownerAndSharing(ModelAliases document) {
        return new ModelAliases(
                document.schemaVersion(),
                document.model(),
                document.revision(),
                document.updatedAt(),
                document.owner(),
                null,
                Map.of(),
                null,
                List.of(),
                document.sharing());
    }

    /** The model changed (its aliases, sharing or versions): read it again when next asked. */
    public void forget(String model) {
        models.forget(model);
    }

    /** Whether {@code caller} may see and sample the model described by {@code aliases}. */
    public static boolean sees(Caller caller, ModelAliases aliases) {
        return isAdmin(caller) || aliases.sampleableBy(caller.keyId());
    }

    /** Whether {@code caller} sees the model only because its owner shared it (the lists mark these). */
    public static boolean sharedWith(Caller caller, ModelAliases aliases) {
        return !isAdmin(caller)
                && !aliases.ownedBy(caller.keyId())
                && aliases.sharing().includes(caller.keyId());
    }

    /**
     * @return the model's alias document (as {@link #find})
     * @throws GatewayException 404 "unknown model", the same for a model that does not exist and for one
     *     the caller may not see
     */
    public ModelAliases requireVisible(Caller caller, String model) {
        return find(model).filter(aliases -> sees(caller, aliases)).orElseThrow(() -> unknown(model));
    }

    /**
     * @throws GatewayException 404 as {@link #requireVisible}; 403 for a model shared with the caller
     *     (it knows the model exists) that it does not own
     */
    public void requireChangeable(Caller caller, String model) {
        ModelAliases aliases = requireVisible(caller, model);
        if (!isAdmin(caller) && !aliases.ownedBy(caller.keyId())) {
            throw new GatewayException(
                    403,
                    "forbidden",
                    "API key '" + caller.keyId() + "' may sample model '" + model
                            + "' (it is shared with it) but not change it; only its owner or a key with the 'admin'"
                            + " scope may");
        }
    }

    /**
     * A training run may publish under {@code model} only when the name is free or the caller owns it
     * (an admin: any). Refusing necessarily tells that the name is taken, not by whom.
     *
     * @throws GatewayException 409 "model name taken"
     */
    public void requireNameFor(Caller caller, String model) {
        Optional<ModelAliases> taken = find(model);
        if (taken.isPresent() && !isAdmin(caller) && !taken.get().ownedBy(caller.keyId())) {
            throw new GatewayException(
                    409,
                    "model name taken",
                    "model name '" + model + "' is taken by another key: choose another modelName",
                    "modelName");
        }
    }

    /** The 404 for a model that does not exist, and for one the caller may not see. */
    public static GatewayException unknown(String model) {
        return new GatewayException(404, "unknown model", "no published model '" + model + "'");
    }

    public static boolean isAdmin(Caller caller) {
        return caller.scopes().contains(Scope.ADMIN);
    }
}
