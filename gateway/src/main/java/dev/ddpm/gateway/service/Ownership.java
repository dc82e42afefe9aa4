package dev.ddpm.gateway.service;

import dev.ddpm.gateway.auth.Caller;
import dev.ddpm.gateway.auth.Scope;

/**
 * Who may change or remove a model, a data set or a training run: a key with the {@code admin}
 * scope, or the key that owns it (the model's first trainer, the data set's first uploader, the
 * run's requester). Something without a recorded owner (made before owners were recorded, or by
 * the command line) is the admins' alone.
 */
public final class Ownership {

    private Ownership() {}

    /**
     * @param owner the owning key id; null when none is recorded
     * @param what  what is being changed, for the refusal ("model 'mnist'")
     * @throws GatewayException 403 naming the caller, the owner and who may instead
     */
    public static void require(Caller caller, String owner, String what) {
        if (caller.scopes().contains(Scope.ADMIN)) {
            return;
        }
        if (owner == null) {
            throw new GatewayException(
                    403,
                    "forbidden",
                    "API key '" + caller.keyId() + "' may not change " + what
                            + ": it has no recorded owner, so only a key with the 'admin' scope may");
        }
        if (!owner.equals(caller.keyId())) {
            throw new GatewayException(
                    403,
                    "forbidden",
                    "API key '" + caller.keyId() + "' may not change " + what + ": it belongs to API key '" + owner
                            + "'; only that key or a key with the 'admin' scope may");
        }
    }
}
