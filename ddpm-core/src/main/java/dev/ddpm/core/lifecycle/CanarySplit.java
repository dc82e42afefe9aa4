package dev.ddpm.core.lifecycle;

import dev.ddpm.core.json.Require;

/**
 * A share of the requests that would get production served by another version instead, chosen per
 * request from its seed (or id), so that the same seed always lands on the same version and the
 * share holds over many requests.
 *
 * @param version the version that takes the share
 * @param percent its share, 1..99 percent
 */
public record CanarySplit(String version, int percent) {

    public CanarySplit {
        Require.safeName(version, "version");
        Require.between(percent, 1, 99, "percent");
    }

    /** Whether a request with this routing key (its seed) goes to the canary version. */
    public boolean takes(long routingKey) {
        return bucket(routingKey) < percent;
    }

    /**
     * The request's bucket 0..99: a 64-bit finaliser (SplitMix64's) of the key, so that consecutive
     * seeds spread evenly and the choice does not depend on the replica or the batch.
     */
    static int bucket(long key) {
        long z = key + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (int) Math.floorMod(z, 100L);
    }

    /** The routing key of a request that has no seed: its id, hashed. */
    public static long routingKey(String requestId) {
        long h = 1125899906842597L;
        for (int i = 0; i < requestId.length(); i++) {
            h = 31 * h + requestId.charAt(i);
        }
        return h;
    }
}
