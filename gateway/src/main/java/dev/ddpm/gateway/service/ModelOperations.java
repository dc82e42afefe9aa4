package dev.ddpm.gateway.service;

import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.lifecycle.CanarySplit;
import dev.ddpm.core.lifecycle.ModelAliases;
import dev.ddpm.core.lifecycle.ModelLifecycle;
import dev.ddpm.core.lifecycle.ModelPolicy;
import dev.ddpm.core.lifecycle.ModelSharing;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.gateway.auth.Caller;
import dev.ddpm.gateway.messaging.outgoing.GatewayEvents;
import jakarta.inject.Singleton;

import java.time.Clock;

/**
 * The model lifecycle operations of both APIs: each checks that the caller may change the model (an
 * admin, or the key recorded as its owner; {@link ModelAccess}), then runs the one implementation
 * every entry point shares ({@link ModelLifecycle}: {@code aliases.json} written first, then announced on
 * {@code ddpm.models}, waiting for the broker). Its refusals become 404 and 409 in the shared error
 * mapping.
 */
@Singleton
public class ModelOperations {

    private final ModelLifecycle lifecycle;
    private final ModelAccess access;

    public ModelOperations(ArtifactStore store, GatewayEvents events, ModelAccess access) {
        this.lifecycle = new ModelLifecycle(store, event -> events.models().sendAndWait(event), Clock.systemUTC());
        this.access = access;
    }

    /**
     * A change of the model's policy ({@code PUT /v1/models/{name}/policy}): the fields given replace
     * the current policy's, the rest stay.
     */
    public record PolicyChange(
            @OptionalField ModelPolicy.Promotion promotion,
            @OptionalField Double margin,
            @OptionalField ModelPolicy.Retrain retrain) {

        ModelPolicy applyTo(ModelPolicy current) {
            ModelPolicy next = current;
            if (promotion != null) {
                next = next.withPromotion(promotion);
            }
            if (margin != null) {
                next = next.withMargin(margin);
            }
            if (retrain != null) {
                next = next.withRetrain(retrain);
            }
            return next;
        }
    }

    /**
     * The model's aliases, canary, policy, owner and history (404 for an unknown model, and for one the
     * caller may not see). A key it is shared with reads the history without who changed the sharing and
     * whom it named ({@link ModelAliases#withSharingChangesHidden}), as it does not see the sharing itself.
     */
    public ModelAliases aliases(Caller caller, String model) {
        access.requireVisible(caller, model);
        ModelAliases aliases = lifecycle.aliases(model);
        return ModelAccess.isAdmin(caller) || aliases.ownedBy(caller.keyId())
                ? aliases
                : aliases.withSharingChangesHidden();
    }

    public ModelAliases promote(Caller caller, String model, String version, String reason) {
        mayChange(caller, model);
        return changed(
                model,
                lifecycle.promote(model, version, caller.keyId(), reason == null ? "promoted by an operator" : reason));
    }

    public ModelAliases rollback(Caller caller, String model, String reason) {
        mayChange(caller, model);
        return changed(
                model,
                lifecycle.rollback(model, caller.keyId(), reason == null ? "rolled back by an operator" : reason));
    }

    /** @param split null: ends the canary */
    public ModelAliases canary(Caller caller, String model, CanarySplit split) {
        mayChange(caller, model);
        return changed(model, lifecycle.canary(model, split, caller.keyId()));
    }

    public ModelAliases policy(Caller caller, String model, PolicyChange change) {
        ModelAliases current = mayChange(caller, model);
        return changed(model, lifecycle.policy(model, change.applyTo(current.policy()), caller.keyId()));
    }

    /** Which other keys may sample the model; it replaces the sharing the model had. */
    public ModelAliases share(Caller caller, String model, ModelSharing sharing) {
        mayChange(caller, model);
        return changed(model, lifecycle.share(model, sharing, caller.keyId()));
    }

    /** 409 for the production version or the canary's; removes the version's files otherwise. */
    public ModelAliases deleteVersion(Caller caller, String model, String version) {
        mayChange(caller, model);
        return changed(model, lifecycle.deleteVersion(model, version, caller.keyId()));
    }

    /** The model's aliases, once the caller is known to be allowed to change them (404 first). */
    private ModelAliases mayChange(Caller caller, String model) {
        access.requireChangeable(caller, model);
        return lifecycle.aliases(model);
    }

    /** A change made here is seen by this replica's access checks at once, not at its announcement. */
    private ModelAliases changed(String model, ModelAliases after) {
        access.forget(model);
        return after;
    }
}
