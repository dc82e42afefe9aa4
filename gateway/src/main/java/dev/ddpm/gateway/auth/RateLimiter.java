package dev.ddpm.gateway.auth;

import dev.ddpm.gateway.config.GatewayConfig;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Two token buckets per API key. Requests: {@code rate-per-second} refill, up to {@code burst}
 * saved. Sampling work: {@code evaluations-per-second} network evaluations (images x steps) refill,
 * up to {@code evaluation-burst}; a request is taken when the bucket holds its cost (or is full, for
 * one larger than the burst) and may leave it in debt, so a key's work over time stays at its rate.
 * A key may carry its own figures ({@code gateway.auth.keys.<id>.rate-per-second}, ...).
 */
// Application-scoped (a lazy proxy): the REST filter holding it is built at static init, before config is read.
@ApplicationScoped
public class RateLimiter {

    private final Quota requestDefaults;
    private final Quota evaluationDefaults;
    private final Map<String, Quota> requestQuotas = new HashMap<>();
    private final Map<String, Quota> evaluationQuotas = new HashMap<>();
    private final ConcurrentMap<String, Bucket> requests = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Bucket> evaluations = new ConcurrentHashMap<>();

    public RateLimiter(GatewayConfig config) {
        GatewayConfig.Auth auth = config.auth();
        this.requestDefaults =
                Quota.of(auth.ratePerSecond(), auth.burst(), "gateway.auth.rate-per-second", "gateway.auth.burst");
        this.evaluationDefaults = Quota.of(
                auth.evaluationsPerSecond(),
                auth.evaluationBurst(),
                "gateway.auth.evaluations-per-second",
                "gateway.auth.evaluation-burst");
        auth.keys().forEach((id, key) -> {
            String prefix = "gateway.auth.keys." + id;
            requestQuotas.put(
                    id,
                    Quota.of(
                            key.ratePerSecond().orElse(requestDefaults.rate()),
                            key.burst().orElse((long) requestDefaults.burst()),
                            prefix + ".rate-per-second",
                            prefix + ".burst"));
            evaluationQuotas.put(
                    id,
                    Quota.of(
                            key.evaluationsPerSecond().orElse(evaluationDefaults.rate()),
                            key.evaluationBurst().orElse((long) evaluationDefaults.burst()),
                            prefix + ".evaluations-per-second",
                            prefix + ".evaluation-burst"));
        });
    }

    /** @return 0 when allowed, else the seconds to wait before the next request is */
    public long tryAcquire(String keyId) {
        Quota quota = requestQuotas.getOrDefault(keyId, requestDefaults);
        return requests.computeIfAbsent(keyId, k -> new Bucket(quota.burst())).take(quota, 1, System.nanoTime());
    }

    /** @return 0 when the key may spend {@code cost} network evaluations now, else the seconds until it may */
    public long tryAcquireEvaluations(String keyId, long cost) {
        Quota quota = evaluationQuotas.getOrDefault(keyId, evaluationDefaults);
        return evaluations
                .computeIfAbsent(keyId, k -> new Bucket(quota.burst()))
                .take(quota, cost, System.nanoTime());
    }

    /** Gives back {@code cost} network evaluations the key was charged for work that was never done. */
    public void refundEvaluations(String keyId, long cost) {
        Quota quota = evaluationQuotas.getOrDefault(keyId, evaluationDefaults);
        evaluations.computeIfAbsent(keyId, k -> new Bucket(quota.burst())).give(quota, cost, System.nanoTime());
    }

    /** The evaluation rate a key is held to (for the refusal's message). */
    public double evaluationsPerSecond(String keyId) {
        return evaluationQuotas.getOrDefault(keyId, evaluationDefaults).rate();
    }

    private record Quota(double rate, double burst) {
        static Quota of(double rate, long burst, String rateName, String burstName) {
            if (!(rate > 0) || Double.isInfinite(rate)) {
                throw new IllegalArgumentException(rateName + " must be a number > 0, was " + rate);
            }
            if (burst < 1) {
                throw new IllegalArgumentException(burstName + " must be >= 1, was " + burst);
            }
            return new Quota(rate, burst);
        }
    }

    private static final class Bucket {
        private double tokens;
        private long last;

        Bucket(double burst) {
            this.tokens = burst;
            this.last = System.nanoTime();
        }

        synchronized long take(Quota quota, long cost, long now) {
            tokens = Math.min(quota.burst(), tokens + (now - last) / 1e9 * quota.rate());
            last = now;
            double needed = Math.min(cost, quota.burst());
            if (tokens >= needed) {
                tokens -= cost;
                return 0;
            }
            return Math.max(1, (long) Math.ceil((needed - tokens) / quota.rate()));
        }

        synchronized void give(Quota quota, long cost, long now) {
            tokens = Math.min(quota.burst(), tokens + (now - last) / 1e9 * quota.rate() + cost);
            last = now;
        }
    }
}
