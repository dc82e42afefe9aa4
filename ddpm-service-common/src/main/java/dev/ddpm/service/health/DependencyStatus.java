package dev.ddpm.service.health;

import java.time.Instant;
import java.util.Map;

/**
 * The last probe of one dependency: whether it answered, what it said (cluster id, buckets) or why
 * not, and since when that has been so.
 *
 * @param summary what anyone may read (readiness): the state in words, without addresses or ids
 * @param detail  what operators read ({@code GET /v1/dependencies}, the log): the full answer or error
 */
public record DependencyStatus(
        String name,
        String address,
        boolean up,
        String summary,
        String detail,
        Instant since,
        Map<String, String> facts) {

    static final String NOT_PROBED = "not probed yet";

    public static DependencyStatus unknown(String name, String address) {
        return new DependencyStatus(name, address, false, NOT_PROBED, NOT_PROBED, Instant.now(), Map.of());
    }

    /** Same state as before? Then {@code since} stays, and nothing is logged. */
    public boolean sameStateAs(DependencyStatus other) {
        return other != null && up == other.up && detail.equals(other.detail);
    }
}
