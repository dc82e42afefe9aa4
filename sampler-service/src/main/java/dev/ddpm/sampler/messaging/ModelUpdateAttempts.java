package dev.ddpm.sampler.messaging;

import dev.ddpm.core.storage.ObjectIntegrityException;
import dev.ddpm.core.storage.ObjectNotFoundException;
import dev.ddpm.core.storage.ObjectTooLargeException;
import dev.ddpm.core.storage.StorageException;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.faulttolerance.Retry;

import java.time.temporal.ChronoUnit;

/**
 * Applies one model update, retried while S3 is away beyond the store's own retries: every few
 * seconds for at most two minutes, since the updates after it on {@code ddpm.models} wait meanwhile.
 * An object that is missing, corrupt or too large is no outage and is not retried.
 */
@ApplicationScoped
public class ModelUpdateAttempts {

    @Retry(
            retryOn = StorageException.class,
            abortOn = {ObjectNotFoundException.class, ObjectIntegrityException.class, ObjectTooLargeException.class},
            maxRetries = -1,
            delay = 3,
            delayUnit = ChronoUnit.SECONDS,
            maxDuration = 2,
            durationUnit = ChronoUnit.MINUTES,
            jitter = 500)
    public void apply(Runnable update) {
        update.run();
    }
}
