package dev.ddpm.service.client;

import dev.ddpm.core.messaging.KafkaSettings;
import dev.ddpm.service.config.ConnectionsConfig;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The variables a Kubernetes deployment sets reach every Kafka client of a service alike: the
 * channels (through the connector's {@code kafka-configuration} bean) and the plain clients.
 */
class KafkaConnectionTest {

    private static final String JAAS =
            "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"sampler\" password=\"pw\";";

    @TempDir
    Path dir;

    @Test
    void withSaslSslTheChannelsAndThePlainClientsConnectAlike() throws IOException {
        Path ca = Files.writeString(dir.resolve("ca.crt"), "-----BEGIN CERTIFICATE-----\n");
        SmallRyeConfig config = config(Map.of(
                "KAFKA_BOOTSTRAP_SERVERS", "ddpm-kafka-bootstrap:9093",
                "KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "KAFKA_SASL_MECHANISM", "SCRAM-SHA-512",
                "KAFKA_SASL_JAAS_CONFIG", JAAS,
                "KAFKA_SSL_TRUSTSTORE_LOCATION", ca.toString()));
        InfrastructureClients clients = new InfrastructureClients(config.getConfigMapping(ConnectionsConfig.class));
        KafkaSettings settings = clients.kafkaSettings();
        Map<String, Object> channels = clients.kafkaConnection(settings);

        assertThat(channels)
                .isEqualTo(Map.of(
                        "bootstrap.servers", "ddpm-kafka-bootstrap:9093",
                        "security.protocol", "SASL_SSL",
                        "sasl.mechanism", "SCRAM-SHA-512",
                        "sasl.jaas.config", JAAS,
                        "ssl.truststore.type", "PEM",
                        "ssl.truststore.location", ca.toString()));
        assertThat(settings.admin()).containsAllEntriesOf(channels);
        assertThat(settings.producer()).containsAllEntriesOf(channels);
        assertThat(settings.consumer()).containsAllEntriesOf(channels);
        // Every channel takes the bean above as its Kafka configuration, and no kafka.* property competes.
        assertThat(config.getValue("mp.messaging.connector.smallrye-kafka.kafka-configuration", String.class))
                .isEqualTo(InfrastructureClients.KAFKA_CONNECTION);
        assertThat(config.getPropertyNames()).noneMatch(name -> name.startsWith("kafka."));
    }

    @Test
    void withNothingSetItIsPlainTextToTheLocalBroker() {
        SmallRyeConfig config = config(Map.of());
        InfrastructureClients clients = new InfrastructureClients(config.getConfigMapping(ConnectionsConfig.class));
        assertThat(clients.kafkaConnection(clients.kafkaSettings()))
                .isEqualTo(Map.of("bootstrap.servers", "127.0.0.1:9092", "security.protocol", "PLAINTEXT"));
    }

    @Test
    void saslWithoutItsCredentialsStopsTheStartNamingTheVariable() {
        SmallRyeConfig config =
                config(Map.of("KAFKA_SECURITY_PROTOCOL", "SASL_SSL", "KAFKA_SASL_MECHANISM", "SCRAM-SHA-512"));
        InfrastructureClients clients = new InfrastructureClients(config.getConfigMapping(ConnectionsConfig.class));
        assertThatThrownBy(clients::kafkaSettings).hasMessageContaining("KAFKA_SASL_JAAS_CONFIG");
    }

    /**
     * The services' shared defaults (this module's META-INF/microprofile-config.properties) under the given
     * environment variables, and nothing of the machine's own environment.
     */
    private static SmallRyeConfig config(Map<String, String> environment) {
        try {
            URL defaults = InfrastructureClients.class.getResource("/META-INF/microprofile-config.properties");
            Map<String, String> service = new HashMap<>(environment);
            service.put("ddpm.service-name", "sampler-service");
            return new SmallRyeConfigBuilder()
                    .withSources(new PropertiesConfigSource(defaults, 100))
                    .withSources(new PropertiesConfigSource(service, "environment", 300))
                    .addDefaultInterceptors()
                    .withConverter(Duration.class, 200, new DurationConverter())
                    .withMapping(ConnectionsConfig.class)
                    .build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
