package dev.ddpm.gateway.service;

import dev.ddpm.core.json.Require;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Idempotency keys: validated precisely, and the same (key id, key) always naming the same run or job. */
class IdempotencyTest {

    @Test
    void theSameKeyOfTheSameCallerNamesTheSameJobAndRunAndAnotherCallerOrKeyAnother() {
        String job = Idempotency.jobId("alice", "order-17");

        assertThat(job).isEqualTo(Idempotency.jobId("alice", "order-17")).startsWith("job-");
        assertThat(Require.safeName(job, "jobId")).isEqualTo(job);
        assertThat(Idempotency.jobId("bob", "order-17")).isNotEqualTo(job);
        assertThat(Idempotency.jobId("alice", "order-18")).isNotEqualTo(job);
        assertThat(Idempotency.jobId("alice", "order-17 ")).isNotEqualTo(job);

        String run = Idempotency.runId("digits", "alice", "order-17");
        assertThat(run)
                .isEqualTo(Idempotency.runId("digits", "alice", "order-17"))
                .startsWith("digits-");
        assertThat(Idempotency.runId("digits", "bob", "order-17")).isNotEqualTo(run);
        assertThat(run.substring("digits-".length()))
                .as("a job and a run of the same key are told apart")
                .isNotEqualTo(job.substring("job-".length(), "job-".length() + 20));
    }

    @Test
    void keysAreOneTo128PrintableAsciiCharactersAndARefusalSaysWhatIsWrong() {
        assertThat(Idempotency.validate(null, Idempotency.HEADER)).isNull();
        assertThat(Idempotency.validate("a b~!", Idempotency.HEADER)).isEqualTo("a b~!");
        assertThat(Idempotency.validate("k".repeat(128), Idempotency.HEADER)).hasSize(128);

        assertThatThrownBy(() -> Idempotency.validate("k".repeat(129), Idempotency.HEADER))
                .isInstanceOf(GatewayException.class)
                .hasMessage("header 'Idempotency-Key' must be 1 to 128 characters long, was 129")
                .satisfies(e -> {
                    assertThat(((GatewayException) e).problem().status()).isEqualTo(400);
                    assertThat(((GatewayException) e).problem().field()).isEqualTo("Idempotency-Key");
                });
        assertThatThrownBy(() -> Idempotency.validate("", Idempotency.HEADER))
                .hasMessage("header 'Idempotency-Key' must be 1 to 128 characters long, was 0");
        assertThatThrownBy(() -> Idempotency.validate("key\tone", Idempotency.METADATA))
                .hasMessage("metadata 'idempotency-key' must be printable ASCII (0x20 to 0x7E); character 4 is U+0009");
        assertThatThrownBy(() -> Idempotency.validate("clé", Idempotency.HEADER))
                .hasMessageEndingWith("character 3 is U+00E9");
    }
}
