package dev.ddpm.trainer.export;

import dev.ddpm.core.lifecycle.ModelAliasStore;
import dev.ddpm.core.lifecycle.ModelAliases;
import dev.ddpm.core.storage.ArtifactStore;

import java.util.Optional;

/**
 * The last word on whether a training run may publish under its model's name, checked just before
 * anything is written: when the model has an owner, only a run that key asked for may. The gateway
 * refuses such requests when they are made; this catches what it cannot see then: two keys asking
 * for the same new name at once (the first to publish owns it), and a retraining a data set change
 * started, which runs as the data set's owner, under a name another key came to own.
 */
public final class PublishRights {

    private PublishRights() {}

    /**
     * @param runOwner the API key id the run publishes as; null for none (the command line, a data set
     *                 without an owner)
     * @throws IllegalStateException when the model belongs to another key (or to a key, for a run of none)
     */
    public static void require(ArtifactStore store, String model, String runId, String runOwner) {
        Optional<String> owner = new ModelAliasStore(store).read(model).map(ModelAliases::owner);
        if (owner.isPresent() && !owner.get().equals(runOwner)) {
            throw new IllegalStateException("run " + runId + " may not publish model '" + model
                    + "': the model belongs to another API key than the one the run was asked for by ("
                    + (runOwner == null ? "none" : "'" + runOwner + "'") + "); nothing was published");
        }
    }
}
