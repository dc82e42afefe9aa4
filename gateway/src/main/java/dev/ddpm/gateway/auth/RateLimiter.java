package dev.ddpm.gateway.auth;

import dev.ddpm.gateway.config.GatewayConfig;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * A token bucket per API key: {@code rate-per-second} refill, up to {@code burst} saved; a key may
 * carry its own rate and burst ({@code gateway.auth.keys.<id>.rate-per-second}, {@code .burst}).
 */
// Application-scoped (a lazy proxy): the REST filter holding it is built at static init, before config is read.
@ApplicationScoped
public class RateLimiter {

    private final Quota defaults;
    private final Map<String, Quota> perKey = new HashMap<>();
    private final ConcurrentMap<String, Bucket> buckets = new ConcurrentHashMap<>();

    public RateLimiter(GatewayConfig config) {
        this.defaults = Quota.of(config.auth().ratePerSecond(), config.auth().burst(), "gateway.auth");
        config.auth().keys().forEach((id, key) -> perKey.put(id, Quota.of(
                key.ratePerSecond().orElse(defaults.rate()), key.burst().orElse(defaults.burst()),
                "gateway.auth.keys." + id)));
    }

    /** @return 0 when allowed, else the seconds to wait before the next request is */
    public long tryAcquire(String keyId) {
        Quota quota = perKey.getOrDefault(keyId, defaults);
        return buckets.computeIfAbsent(keyId, k -> new Bucket(quota.burst())).take(quota, System.nanoTime());
    }

    private record Quota(double rate, int burst) {
        static Quota of(double rate, int burst, String prefix) {
            if (!(rate > 0) || Double.isInfinite(rate)) {
                throw new IllegalArgumentException(prefix + ".rate-per-second must be a number > 0, was " + rate);
            }
            if (burst < 1) {
                throw new IllegalArgumentException(prefix + ".burst must be >= 1, was " + burst);
            }
            return new Quota(rate, burst);
        }
    }

    private static final class Bucket {
        private double tokens;
        private long last;

        Bucket(int burst) {
            this.tokens = burst;
            this.last = System.nanoTime();
        }

        synchronized long take(Quota quota, long now) {
            tokens = Math.min(quota.burst(), tokens + (now - last) / 1e9 * quota.rate());
            last = now;
            if (tokens >= 1) {
                tokens -= 1;
                return 0;
            }
            return (long) Math.ceil((1 - tokens) / quota.rate());
        }
    }
}
