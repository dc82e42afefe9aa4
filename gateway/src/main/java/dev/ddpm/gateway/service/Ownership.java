package dev.ddpm.gateway.service;

import dev.ddpm.gateway.auth.Caller;
import dev.ddpm.gateway.auth.Scope;

/**
 * Who may see and change a data set, a training run or a sample job: a key with the {@code admin}
 * scope, or the key that owns it (the data set's first uploader, the run's requester, the job's
 * submitter). Something without a recorded owner (made by the command line, or by a retraining a
 * data set started) is the admins' alone. To every other key it answers as something that does not
 * exist (404), so that a key cannot learn what others have. Models add sharing: {@link ModelAccess}.
 */
public final class Ownership {

    private Ownership() {}

    /**
     * @param owner the owning key id; null when none is recorded
     */
    public static boolean sees(Caller caller, String owner) {
        return caller.scopes().contains(Scope.ADMIN) || (owner != null && owner.equals(caller.keyId()));
    }
}
