package dev.ddpm.gateway.auth;

import dev.ddpm.gateway.config.GatewayConfig;
import dev.ddpm.gateway.service.OpenStreams;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The quotas as the gateway reads them from its configuration (SmallRye Config, the same mapping
 * Quarkus builds; no application started): a key's own rate and burst, and a quota that cannot work
 * stopping the start with the setting's name.
 */
class RateLimiterTest {

    @Test
    void aKeyWithItsOwnBurstIsRefusedWhereTheDefaultsStillAllow() {
        RateLimiter limiter = new RateLimiter(config(Map.of(
                "gateway.auth.keys.small.rate-per-second", "0.001",
                "gateway.auth.keys.small.burst", "2")));

        assertThat(limiter.tryAcquire("small")).isZero();
        assertThat(limiter.tryAcquire("small")).isZero();
        // The third request within its burst of 2 waits for a token at 0.001/s: about 1,000 s.
        assertThat(limiter.tryAcquire("small")).isBetween(900L, 1000L);
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.tryAcquire("plain"))
                    .as("a key on the defaults (burst 40)")
                    .isZero();
        }
    }

    @Test
    void samplingWorkIsChargedAtItsCostAndARequestBeyondTheBurstRunsIntoDebt() {
        RateLimiter limiter = new RateLimiter(config(Map.of(
                "gateway.auth.keys.work.evaluations-per-second", "100",
                "gateway.auth.keys.work.evaluation-burst", "1000")));

        assertThat(limiter.tryAcquireEvaluations("work", 600)).isZero();
        // 400 left: 600 more is 200 short at 100/s.
        assertThat(limiter.tryAcquireEvaluations("work", 600)).isBetween(2L, 3L);
        assertThat(limiter.tryAcquireEvaluations("work", 400)).isZero();
        // Larger than the burst: waits for a full bucket, then leaves the key 4,000 in debt.
        assertThat(limiter.tryAcquireEvaluations("work", 5000)).isBetween(9L, 10L);
        RateLimiter fresh = new RateLimiter(config(Map.of(
                "gateway.auth.keys.work.evaluations-per-second", "100",
                "gateway.auth.keys.work.evaluation-burst", "1000")));
        assertThat(fresh.tryAcquireEvaluations("work", 5000)).isZero();
        assertThat(fresh.tryAcquireEvaluations("work", 1))
                .as("4,000 in debt at 100/s")
                .isBetween(39L, 41L);
        assertThat(fresh.tryAcquireEvaluations("other", 60_000))
                .as("the defaults: burst 64,000")
                .isZero();
    }

    @Test
    void aRefundGivesBackWhatWasChargedUpToTheBurst() {
        RateLimiter limiter = new RateLimiter(config(Map.of(
                "gateway.auth.keys.work.evaluations-per-second", "0.001",
                "gateway.auth.keys.work.evaluation-burst", "1000")));

        assertThat(limiter.tryAcquireEvaluations("work", 800)).isZero();
        limiter.refundEvaluations("work", 800);
        assertThat(limiter.tryAcquireEvaluations("work", 800))
                .as("the refunded evaluations are there again")
                .isZero();
        limiter.refundEvaluations("work", 5000);
        assertThat(limiter.tryAcquireEvaluations("work", 1000))
                .as("a full bucket")
                .isZero();
        assertThat(limiter.tryAcquireEvaluations("work", 1))
                .as("never more than the burst")
                .isPositive();
    }

    @Test
    void aQuotaThatCannotWorkStopsTheStartNamingTheSetting() {
        assertThatThrownBy(() -> new RateLimiter(config(Map.of("gateway.auth.keys.bad.rate-per-second", "0"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("gateway.auth.keys.bad.rate-per-second must be a number > 0, was 0.0");
        assertThatThrownBy(() -> new RateLimiter(config(Map.of("gateway.auth.keys.bad.burst", "0"))))
                .hasMessage("gateway.auth.keys.bad.burst must be >= 1, was 0");
        assertThatThrownBy(() -> new RateLimiter(config(Map.of("gateway.auth.rate-per-second", "-1"))))
                .hasMessage("gateway.auth.rate-per-second must be a number > 0, was -1.0");
        assertThatThrownBy(() -> new RateLimiter(config(Map.of("gateway.auth.burst", "0"))))
                .hasMessage("gateway.auth.burst must be >= 1, was 0");
        assertThatThrownBy(() -> new RateLimiter(config(Map.of("gateway.auth.evaluation-burst", "0"))))
                .hasMessage("gateway.auth.evaluation-burst must be >= 1, was 0");
        assertThatThrownBy(() -> new OpenStreams(config(Map.of("gateway.streams.max-per-key", "0"))))
                .hasMessage("gateway.streams.max-per-key must be >= 1, was 0");
        assertThatThrownBy(() -> new OpenStreams(config(Map.of("gateway.streams.heartbeat", "0s"))))
                .hasMessageStartingWith("gateway.streams.heartbeat must be at least 1 ms");
    }

    /** The gateway's configuration from {@code settings}, each key named there given a hash and scopes. */
    static GatewayConfig config(Map<String, String> settings) {
        Map<String, String> all = new HashMap<>(settings);
        // Every configured key has a hash and scopes; the quota settings are what is under test.
        settings.keySet().stream()
                .filter(k -> k.startsWith("gateway.auth.keys."))
                .map(k -> k.substring(0, k.lastIndexOf('.')))
                .forEach(key -> {
                    all.putIfAbsent(key + ".sha256", "00".repeat(32));
                    all.putIfAbsent(key + ".scopes", "sample");
                });
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withMapping(GatewayConfig.class)
                .withConverter(Duration.class, 100, new DurationConverter()) // Quarkus' "10m", as the gateway reads it
                .withSources(new PropertiesConfigSource(all, "test", 100))
                .build();
        return config.getConfigMapping(GatewayConfig.class);
    }
}
