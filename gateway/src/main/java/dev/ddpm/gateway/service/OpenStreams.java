package dev.ddpm.gateway.service;

import dev.ddpm.gateway.auth.Caller;
import dev.ddpm.gateway.config.GatewayConfig;
import jakarta.inject.Singleton;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** Long-lived streams (training events over SSE and gRPC) held open per API key, up to a cap. */
@Singleton
public class OpenStreams {

    private final int maxPerKey;
    private final ConcurrentMap<String, AtomicInteger> open = new ConcurrentHashMap<>();

    public OpenStreams(GatewayConfig config) {
        this.maxPerKey = config.streams().maxPerKey();
        if (maxPerKey < 1) {
            throw new IllegalArgumentException("gateway.streams.max-per-key must be >= 1, was " + maxPerKey);
        }
        if (config.streams().heartbeat().toMillis() < 1) {
            throw new IllegalArgumentException("gateway.streams.heartbeat must be at least 1 ms, was "
                    + config.streams().heartbeat());
        }
    }

    /**
     * Takes one of the key's stream places; the returned action gives it back (once).
     *
     * @throws GatewayException 429 when the key holds its most streams
     */
    public Runnable open(Caller caller) {
        AtomicInteger count = open.computeIfAbsent(caller.keyId(), k -> new AtomicInteger());
        if (count.incrementAndGet() > maxPerKey) {
            count.decrementAndGet();
            throw GatewayException.tooMany(
                    "too many open streams",
                    "API key '" + caller.keyId() + "' holds " + maxPerKey
                            + " open event streams, its most (gateway.streams.max-per-key); close one first",
                    5);
        }
        AtomicBoolean closed = new AtomicBoolean();
        return () -> {
            if (closed.compareAndSet(false, true)) {
                count.decrementAndGet();
            }
        };
    }

    public int open(String keyId) {
        AtomicInteger count = open.get(keyId);
        return count == null ? 0 : count.get();
    }
}
