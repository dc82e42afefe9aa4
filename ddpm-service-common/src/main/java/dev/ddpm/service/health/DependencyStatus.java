package dev.ddpm.service.health;

import java.time.Instant;
import java.util.Map;

/**
 * The last probe of one dependency: whether it answered, what it said (cluster id, buckets) or why
 * not, and since when that has been so.
 */
public record DependencyStatus(String name, String address, boolean up, String detail, Instant since,
                               Map<String, String> facts) {

    public static DependencyStatus unknown(String name, String address) {
        return new DependencyStatus(name, address, false, "not probed yet", Instant.now(), Map.of());
    }

    /** Same state as before? Then {@code since} stays, and nothing is logged. */
    public boolean sameStateAs(DependencyStatus other) {
        return other != null && up == other.up && detail.equals(other.detail);
    }
}
