package dev.ddpm.gateway.auth;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The API keys as the gateway reads them from its configuration: a key id the trainer records for runs
 * no key asked for would make such runs that key's, so it stops the start, naming the setting.
 */
class ApiKeysTest {

    @Test
    void keyIdsTheTrainerUsesForRunsNoKeyAskedForAreRefused() {
        for (String reserved : new String[] {"dataset-update", "cli"}) {
            assertThatThrownBy(() -> new ApiKeys(RateLimiterTest.config(
                            Map.of("gateway.auth.keys." + reserved + ".scopes", "sample,train"))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith(
                            "gateway.auth.keys." + reserved + ": the key id '" + reserved + "' is reserved")
                    .hasMessageContaining("choose another id");
        }
        assertThat(new ApiKeys(RateLimiterTest.config(Map.of("gateway.auth.keys.cli-tools.scopes", "sample")))
                        .enabled())
                .isTrue();
    }
}
