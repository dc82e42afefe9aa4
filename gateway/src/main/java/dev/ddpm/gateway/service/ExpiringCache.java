package dev.ddpm.gateway.service;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * A small cache for what is costly to look up and may be asked for under any name a client sends:
 * at most {@code maxEntries} (the least recently used go first), each kept for as long as the
 * lifetime its value is given (a miss can be kept more briefly than a hit). Loads run outside the
 * lock; two concurrent misses of one key may both load.
 */
final class ExpiringCache<K, V> {

    private record Entry<V>(V value, long expiresAt) {}

    private final int maxEntries;
    private final LongSupplier nanoClock;
    private final Map<K, Entry<V>> entries;

    ExpiringCache(int maxEntries, LongSupplier nanoClock) {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries must be >= 1, was " + maxEntries);
        }
        this.maxEntries = maxEntries;
        this.nanoClock = nanoClock;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, Entry<V>> eldest) {
                return size() > ExpiringCache.this.maxEntries;
            }
        };
    }

    /** The value kept for {@code key}, or {@code load}'s, then kept for {@code lifetime} of it. */
    V get(K key, Function<K, V> load, Function<V, Duration> lifetime) {
        long now = nanoClock.getAsLong();
        synchronized (entries) {
            Entry<V> kept = entries.get(key);
            if (kept != null && now - kept.expiresAt() < 0) {
                return kept.value();
            }
        }
        V value = load.apply(key);
        synchronized (entries) {
            entries.put(key, new Entry<>(value, now + lifetime.apply(value).toNanos()));
        }
        return value;
    }

    /** Drops what is kept for {@code key}: the next {@link #get} loads it again. */
    void forget(K key) {
        synchronized (entries) {
            entries.remove(key);
        }
    }

    int size() {
        synchronized (entries) {
            return entries.size();
        }
    }
}
