package dev.ddpm.service.error;

import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.lifecycle.LifecycleException;
import dev.ddpm.core.messaging.MessagingException;
import dev.ddpm.core.storage.ObjectNotFoundException;
import dev.ddpm.core.storage.StorageException;
import org.jboss.logging.Logger;

import java.util.UUID;

/**
 * Every exception a service lets reach its API as the one {@link Problem} both the HTTP and the
 * gRPC mapper write, so the two protocols can never disagree on a status, title or field.
 */
public final class ProblemTranslation {

    private static final Logger LOG = Logger.getLogger(ProblemTranslation.class);

    private ProblemTranslation() {}

    /**
     * The problem {@code e} stands for: its own where it is a {@link ProblemSource}; 400 naming the
     * field for a payload that broke its contract; 404 for a missing object; a refused lifecycle
     * operation 404 (what it names does not exist) or 409 (the model's state forbids it); 503 while the object
     * store or the broker is away (nothing was half-done, the request may succeed later); anything
     * else a 500 whose detail names only the id it is logged under, never a stack trace or address.
     */
    public static Problem of(Throwable e) {
        if (e instanceof ProblemSource source) {
            return source.problem();
        }
        if (e instanceof InvalidPayloadException invalid) {
            return Problem.of(400, "invalid request", invalid.getMessage()).withField(invalid.field());
        }
        if (e instanceof LifecycleException refused) {
            return refused.kind() == LifecycleException.Kind.NOT_FOUND
                    ? Problem.of(404, "not found", refused.getMessage())
                    : Problem.of(409, "conflict", refused.getMessage());
        }
        if (e instanceof ObjectNotFoundException) {
            return Problem.of(404, "not found", e.getMessage());
        }
        if (e instanceof StorageException) {
            return Problem.of(503, "object store unavailable", e.getMessage());
        }
        if (e instanceof MessagingException) {
            return Problem.of(503, "broker unavailable", e.getMessage());
        }
        return internal(e);
    }

    /** A failure the caller cannot act on: logged with a fresh id, which is all the answer tells. */
    public static Problem internal(Throwable e) {
        String id = UUID.randomUUID().toString();
        LOG.errorf(e, "request failed (error id %s)", id);
        return Problem.of(500, "internal error", "the service failed to answer; error id " + id + " is in its log")
                .withErrorId(id);
    }
}
