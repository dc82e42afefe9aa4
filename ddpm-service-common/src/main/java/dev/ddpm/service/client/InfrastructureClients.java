package dev.ddpm.service.client;

import dev.ddpm.core.messaging.EventPublisher;
import dev.ddpm.core.messaging.KafkaSecurity;
import dev.ddpm.core.messaging.KafkaSettings;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.S3Settings;
import dev.ddpm.service.config.ConnectionsConfig;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.apache.kafka.clients.admin.Admin;

import java.time.Duration;
import java.util.Map;

/**
 * The platform clients as beans, built once from {@link ConnectionsConfig}. None of them connects
 * when created: a service starts (and stays alive) while Kafka or S3 is still down.
 */
@Singleton
public class InfrastructureClients {

    /**
     * The identifier of the channels' Kafka connection: every channel names it through the connector
     * attribute {@code kafka-configuration} (META-INF/microprofile-config.properties).
     */
    public static final String KAFKA_CONNECTION = "ddpm-kafka-connection";

    private final ConnectionsConfig config;

    public InfrastructureClients(ConnectionsConfig config) {
        this.config = config;
    }

    @Produces
    @Singleton
    KafkaSettings kafkaSettings() {
        ConnectionsConfig.Kafka kafka = config.kafka();
        KafkaSecurity security = new KafkaSecurity(
                kafka.securityProtocol(),
                kafka.saslMechanism().orElse(null),
                kafka.saslJaasConfig().orElse(null),
                kafka.truststoreType(),
                kafka.truststoreLocation().orElse(null));
        return new KafkaSettings(kafka.bootstrapServers(), config.serviceName(), security);
    }

    /**
     * Where and how the Reactive Messaging channels connect: the same servers and security as the
     * admin client and the plain producers, from the same {@link KafkaSettings}.
     */
    @Produces
    @Singleton
    @Identifier(KAFKA_CONNECTION)
    Map<String, Object> kafkaConnection(KafkaSettings settings) {
        return settings.connection();
    }

    @Produces
    @Singleton
    S3Settings s3Settings() {
        ConnectionsConfig.S3 s3 = config.s3();
        return new S3Settings(s3.endpoint(), s3.accessKey(), s3.secretKey(), s3.region(), s3.timeout());
    }

    @Produces
    @Singleton
    ArtifactStore artifactStore(S3Settings settings) {
        return new ArtifactStore(settings, config.s3().retryBudget());
    }

    void closeArtifactStore(@Disposes ArtifactStore store) {
        store.close();
    }

    @Produces
    @Singleton
    Admin kafkaAdmin(KafkaSettings settings) {
        return Admin.create(settings.admin());
    }

    void closeKafkaAdmin(@Disposes Admin admin) {
        admin.close(Duration.ofSeconds(2));
    }

    /**
     * A plain producer of structured-mode events, for tests and tools that play the outside world;
     * the services themselves send through their Reactive Messaging channels. Created only when injected.
     */
    @Produces
    @Singleton
    EventPublisher eventPublisher(KafkaSettings settings) {
        return new EventPublisher(settings, "/ddpm/" + config.serviceName());
    }

    void closeEventPublisher(@Disposes EventPublisher publisher) {
        publisher.close();
    }
}
