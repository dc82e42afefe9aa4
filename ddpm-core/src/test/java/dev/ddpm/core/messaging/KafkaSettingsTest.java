package dev.ddpm.core.messaging;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KafkaSettingsTest {

    private final KafkaSettings settings = new KafkaSettings("127.0.0.1:9092", "trainer-service");

    @Test
    void producersAreIdempotentWithAcksAll() {
        assertThat(settings.producer())
                .containsEntry("enable.idempotence", true)
                .containsEntry("acks", "all")
                .containsEntry("bootstrap.servers", "127.0.0.1:9092");
    }

    @Test
    void consumersBelongToTheServiceGroupAndCommitByHand() {
        assertThat(settings.consumer())
                .containsEntry("group.id", "ddpm-trainer-service")
                .containsEntry("enable.auto.commit", false)
                .containsEntry("isolation.level", "read_committed");
    }

    @Test
    void missingBootstrapIsAClearError() {
        assertThatThrownBy(() -> new KafkaSettings(" ", "gateway")).hasMessageContaining("KAFKA_BOOTSTRAP_SERVERS");
    }
}
