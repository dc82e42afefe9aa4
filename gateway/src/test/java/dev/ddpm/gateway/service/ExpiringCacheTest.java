package dev.ddpm.gateway.service;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class ExpiringCacheTest {

    private final AtomicLong now = new AtomicLong();
    private final AtomicInteger loads = new AtomicInteger();

    private String load(String key) {
        loads.incrementAndGet();
        return key.startsWith("miss") ? "" : key.toUpperCase();
    }

    private static Duration lifetime(String value) {
        return value.isEmpty() ? Duration.ofSeconds(30) : Duration.ofMinutes(5);
    }

    @Test
    void keepsAtMostItsBoundLeastRecentlyUsedFirst() {
        ExpiringCache<String, String> cache = new ExpiringCache<>(3, now::get);
        for (int i = 0; i < 1000; i++) {
            cache.get("name-" + i, this::load, ExpiringCacheTest::lifetime);
        }
        assertThat(cache.size()).isEqualTo(3);

        cache.get("name-997", this::load, ExpiringCacheTest::lifetime); // used again: kept
        cache.get("name-x", this::load, ExpiringCacheTest::lifetime); // evicts name-998
        loads.set(0);
        cache.get("name-997", this::load, ExpiringCacheTest::lifetime);
        assertThat(loads).hasValue(0);
        cache.get("name-998", this::load, ExpiringCacheTest::lifetime);
        assertThat(loads).hasValue(1);
    }

    @Test
    void aMissIsRememberedMoreBrieflyThanAHit() {
        ExpiringCache<String, String> cache = new ExpiringCache<>(10, now::get);
        assertThat(cache.get("miss", this::load, ExpiringCacheTest::lifetime)).isEmpty();
        assertThat(cache.get("hit", this::load, ExpiringCacheTest::lifetime)).isEqualTo("HIT");
        assertThat(loads).hasValue(2);

        now.addAndGet(Duration.ofSeconds(29).toNanos());
        cache.get("miss", this::load, ExpiringCacheTest::lifetime);
        assertThat(loads).as("a miss within its 30 s").hasValue(2);

        now.addAndGet(Duration.ofSeconds(2).toNanos());
        cache.get("miss", this::load, ExpiringCacheTest::lifetime);
        cache.get("hit", this::load, ExpiringCacheTest::lifetime);
        assertThat(loads).as("the miss looked up again, the hit still kept").hasValue(3);

        now.addAndGet(Duration.ofMinutes(5).toNanos());
        cache.get("hit", this::load, ExpiringCacheTest::lifetime);
        assertThat(loads).hasValue(4);
    }
}
