package dev.ddpm.trainer.cli;

import dev.ddpm.core.storage.S3Settings;
import dev.ddpm.service.config.ConnectionsConfig;
import io.smallrye.config.WithDefault;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The CLI reaches S3 and Kafka as the services do: the same variables, the same S3 request timeout. */
class ConnectionsTest {

    @Test
    void theEnvironmentNamesTheServersAndTheLocalStackFillsTheGaps() {
        S3Settings s3 = new Connections()
                .in(Map.of(
                        "S3_ENDPOINT",
                        "http://s3.example:9000",
                        "S3_ACCESS_KEY",
                        "key",
                        "S3_SECRET_KEY",
                        "secret",
                        "S3_REGION",
                        "eu-west-1"))
                .s3();
        assertThat(s3.endpoint()).isEqualTo("http://s3.example:9000");
        assertThat(s3.accessKey()).isEqualTo("key");
        assertThat(s3.secretKey()).isEqualTo("secret");
        assertThat(s3.region()).isEqualTo("eu-west-1");
        assertThat(new Connections()
                        .in(Map.of("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092"))
                        .kafka()
                        .bootstrapServers())
                .isEqualTo("kafka:9092");

        Connections local = new Connections().in(Map.of("S3_ENDPOINT", " "));
        assertThat(local.s3().endpoint()).isEqualTo("http://127.0.0.1:9000");
        assertThat(local.kafka().bootstrapServers()).isEqualTo("127.0.0.1:9092");
    }

    @Test
    void kafkaSecurityComesFromTheServicesVariables() {
        String jaas = "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"p\";";
        assertThat(new Connections()
                        .in(Map.of(
                                "KAFKA_BOOTSTRAP_SERVERS", "ddpm-kafka-bootstrap:9093",
                                "KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT",
                                "KAFKA_SASL_MECHANISM", "SCRAM-SHA-512",
                                "KAFKA_SASL_JAAS_CONFIG", jaas))
                        .kafka()
                        .producer())
                .containsEntry("security.protocol", "SASL_PLAINTEXT")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("sasl.jaas.config", jaas);
        assertThat(new Connections().in(Map.of()).kafka().producer()).containsEntry("security.protocol", "PLAINTEXT");
    }

    @Test
    void anS3RequestTimesOutWhenTheServicesDo() throws NoSuchMethodException {
        String servicesDefault = ConnectionsConfig.S3
                .class
                .getMethod("timeout")
                .getAnnotation(WithDefault.class)
                .value();
        assertThat(new Connections().in(Map.of()).s3().timeout())
                .isEqualTo(Duration.parse("PT" + servicesDefault.toUpperCase(Locale.ROOT)));
    }
}
