package dev.ddpm.gateway.auth;

import dev.ddpm.gateway.config.GatewayConfig;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/** A token bucket per API key: {@code rate-per-second} refill, up to {@code burst} saved. */
// Application-scoped (a lazy proxy): the REST filter holding it is built at static init, before config is read.
@ApplicationScoped
public class RateLimiter {

    private final double rate;
    private final int burst;
    private final ConcurrentMap<String, Bucket> buckets = new ConcurrentHashMap<>();

    public RateLimiter(GatewayConfig config) {
        this.rate = config.auth().ratePerSecond();
        this.burst = config.auth().burst();
    }

    /** @return 0 when allowed, else the seconds to wait before the next request is */
    public long tryAcquire(String keyId) {
        return buckets.computeIfAbsent(keyId, k -> new Bucket(burst)).take(rate, burst, System.nanoTime());
    }

    private static final class Bucket {
        private double tokens;
        private long last;

        Bucket(int burst) {
            this.tokens = burst;
            this.last = System.nanoTime();
        }

        synchronized long take(double rate, int burst, long now) {
            tokens = Math.min(burst, tokens + (now - last) / 1e9 * rate);
            last = now;
            if (tokens >= 1) {
                tokens -= 1;
                return 0;
            }
            return (long) Math.ceil((1 - tokens) / rate);
        }
    }
}
