package dev.ddpm.core.messaging;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KafkaSecurityTest {

    private static final String JAAS =
            "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"gateway\" password=\"s3cr3t\";";

    @TempDir
    Path dir;

    @Test
    void saslOverTlsGivesEveryClientTheSameCredentialsAndTruststore() throws IOException {
        Path ca = Files.writeString(dir.resolve("ca.crt"), "-----BEGIN CERTIFICATE-----\n");
        KafkaSecurity security = KafkaSecurity.fromEnvironment(Map.of(
                "KAFKA_SECURITY_PROTOCOL",
                "SASL_SSL",
                "KAFKA_SASL_MECHANISM",
                "SCRAM-SHA-512",
                "KAFKA_SASL_JAAS_CONFIG",
                JAAS,
                "KAFKA_SSL_TRUSTSTORE_LOCATION",
                ca.toString())::get);
        KafkaSettings settings = new KafkaSettings("kafka:9093", "gateway", security);
        Map<String, Object> expected = Map.of(
                "bootstrap.servers", "kafka:9093",
                "security.protocol", "SASL_SSL",
                "sasl.mechanism", "SCRAM-SHA-512",
                "sasl.jaas.config", JAAS,
                "ssl.truststore.type", "PEM",
                "ssl.truststore.location", ca.toString());
        assertThat(settings.connection()).isEqualTo(expected);
        for (Map<String, Object> client : new Map[] {settings.producer(), settings.consumer(), settings.admin()}) {
            assertThat(client).containsAllEntriesOf(expected);
        }
    }

    @Test
    void plainTextByDefaultWithNothingElse() {
        KafkaSecurity security = KafkaSecurity.fromEnvironment(name -> null);
        assertThat(security.clientProperties()).isEqualTo(Map.of("security.protocol", "PLAINTEXT"));
        assertThat(new KafkaSettings("127.0.0.1:9092", "trainer-service").admin())
                .containsEntry("security.protocol", "PLAINTEXT")
                .doesNotContainKeys("sasl.jaas.config", "ssl.truststore.location");
    }

    @Test
    void saslWithoutCredentialsNamesTheMissingSetting() {
        assertThatThrownBy(() -> new KafkaSecurity("SASL_SSL", "SCRAM-SHA-512", " ", null, null))
                .hasMessageContaining("KAFKA_SASL_JAAS_CONFIG")
                .hasMessageContaining("ddpm.kafka.sasl-jaas-config");
        assertThatThrownBy(() -> new KafkaSecurity("SASL_SSL", null, JAAS, null, null))
                .hasMessageContaining("KAFKA_SASL_MECHANISM");
    }

    @Test
    void credentialsWithAPlainTextProtocolAreRefusedNotIgnored() {
        assertThatThrownBy(() -> new KafkaSecurity("PLAINTEXT", "SCRAM-SHA-512", JAAS, null, null))
                .hasMessageContaining("KAFKA_SECURITY_PROTOCOL")
                .hasMessageContaining("SASL_SSL");
    }

    @Test
    void anUnknownProtocolOrAMissingCaFileIsAClearError() {
        assertThatThrownBy(() -> new KafkaSecurity("TLS", null, null, null, null))
                .hasMessageContaining("KAFKA_SECURITY_PROTOCOL")
                .hasMessageContaining("'TLS'");
        String absent = dir.resolve("absent.crt").toString();
        assertThatThrownBy(() -> new KafkaSecurity("SASL_SSL", "SCRAM-SHA-512", JAAS, null, absent))
                .hasMessageContaining("KAFKA_SSL_TRUSTSTORE_LOCATION")
                .hasMessageContaining(absent);
    }

    @Test
    void thePasswordNeverShowsInToString() {
        KafkaSecurity security = new KafkaSecurity("SASL_PLAINTEXT", "SCRAM-SHA-512", JAAS, null, null);
        assertThat(security.toString()).doesNotContain("s3cr3t");
        assertThat(new KafkaSettings("kafka:9093", "gateway", security).toString())
                .doesNotContain("s3cr3t");
    }
}
