package dev.ddpm.trainer.run;

import dev.ddpm.core.json.Json;
import dev.ddpm.core.json.Require;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.ObjectNotFoundException;
import dev.ddpm.trainer.checkpoint.CheckpointFence;
import dev.ddpm.trainer.checkpoint.RunFencedException;

import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * {@code ddpm-checkpoints/{run}/lease.json}: which attempt owns a run. An attempt takes the lease when
 * it starts, one epoch past the previous holder's, whoever that was: Kafka has given this trainer the
 * request, so it is the owner now, and a trainer that still runs the run (it did not pause within
 * {@link dev.ddpm.trainer.messaging.RunOwnership}'s wait) is the one to stop. Before every checkpoint
 * write and pruning the holder renews it, and an attempt that finds it taken stops writing
 * ({@link RunFencedException}).
 *
 * <p>Both taking and renewing are conditional writes (If-None-Match / If-Match on the ETag last
 * seen), which S3, MinIO and S3Proxy honour: of two attempts that start together one gets the lease,
 * and a holder's renewal fails as soon as another has taken it. What remains is the time between a
 * successful renewal and the writes it guards: a takeover in that window lets the old holder write one
 * more checkpoint, which the new holder's next checkpoint supersedes.
 */
public final class RunLease implements CheckpointFence {

    /** This process, as lease holders are named: host, process id and a random part for restarts. */
    public static final String THIS_TRAINER = ManagementFactory.getRuntimeMXBean()
                    .getName() + "/" + UUID.randomUUID().toString().substring(0, 8);

    /**
     * The stored lease.
     *
     * @param owner     the trainer that holds it
     * @param epoch     one more than the previous holder's
     * @param renewedAt when its holder last took or renewed it
     */
    public record Holder(String owner, long epoch, Instant renewedAt) {
        public Holder {
            Require.nonBlank(owner, "owner");
            Require.atLeast(epoch, 1, "epoch");
            Require.nonNull(renewedAt, "renewedAt");
        }
    }

    private final ArtifactStore store;
    private final String runId;
    private final Clock clock;
    private Holder holder;
    private String etag;

    private RunLease(ArtifactStore store, String runId, Clock clock, Holder holder, String etag) {
        this.store = store;
        this.runId = runId;
        this.clock = clock;
        this.holder = holder;
        this.etag = etag;
    }

    public static String key(String runId) {
        return runId + "/lease.json";
    }

    /**
     * Takes the run's lease for {@code owner}; empty when another attempt took it at the same moment
     * (its write came between this one's read and write).
     */
    public static Optional<RunLease> take(ArtifactStore store, String runId, String owner, Clock clock) {
        String key = key(runId);
        Optional<String> written;
        Holder taken;
        try {
            ArtifactStore.Tagged current = store.getTagged(Buckets.CHECKPOINTS, key);
            Holder previous = Json.read(current.data(), Holder.class);
            taken = new Holder(owner, previous.epoch() + 1, clock.instant());
            written = store.putIfMatch(Buckets.CHECKPOINTS, key, Json.write(taken), "application/json", current.etag());
        } catch (ObjectNotFoundException e) {
            taken = new Holder(owner, 1, clock.instant());
            written = store.putIfAbsent(Buckets.CHECKPOINTS, key, Json.write(taken), "application/json");
        }
        Holder held = taken;
        return written.map(tag -> new RunLease(store, runId, clock, held, tag));
    }

    public Holder holder() {
        return holder;
    }

    /** Renews the lease; throws when another attempt has taken it since. */
    @Override
    public void verify() {
        Holder renewed = new Holder(holder.owner(), holder.epoch(), clock.instant());
        Optional<String> written =
                store.putIfMatch(Buckets.CHECKPOINTS, key(runId), Json.write(renewed), "application/json", etag);
        if (written.isEmpty()) {
            throw new RunFencedException("run " + runId + " is no longer this attempt's (epoch " + holder.epoch()
                    + " of " + holder.owner() + "): " + currentHolder() + " took it over");
        }
        holder = renewed;
        etag = written.get();
    }

    private String currentHolder() {
        try {
            Holder current = store.getJson(Buckets.CHECKPOINTS, key(runId), Holder.class);
            return "epoch " + current.epoch() + " of " + current.owner();
        } catch (RuntimeException e) {
            return "another attempt";
        }
    }
}
