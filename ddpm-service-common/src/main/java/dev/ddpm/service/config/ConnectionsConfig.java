package dev.ddpm.service.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

/**
 * Where a service finds the platform's infrastructure. Every property also reads from the
 * environment variable the deployment sets ({@code KAFKA_BOOTSTRAP_SERVERS}, {@code S3_ENDPOINT},
 * {@code S3_ACCESS_KEY}, {@code S3_SECRET_KEY}); see docs/configuration.md.
 */
@ConfigMapping(prefix = "ddpm")
public interface ConnectionsConfig {

    /** The service's name: client ids, consumer group {@code ddpm-<name>}, CloudEvents source. */
    String serviceName();

    Kafka kafka();

    S3 s3();

    Provisioning provisioning();

    Probe probe();

    Operator operator();

    /**
     * The credential of the internal operator APIs (the sampler's and the trainer's {@code /v1/} HTTP
     * routes and the sampler's gRPC services; docs/deployment.md, "Operator endpoints"). The same shared
     * key is what the gateway presents to the samplers.
     */
    interface Operator {

        /** Whether this service's own routes require the key (the gateway has API keys instead). */
        @WithDefault("true")
        boolean required();

        /** The shared operator key ({@code DDPM_OPERATOR_KEY}); absent: operator routes refuse everyone. */
        Optional<String> key();
    }

    /**
     * The broker and how every Kafka client of the service connects to it (the channels, the admin
     * client, plain producers): {@code KAFKA_SECURITY_PROTOCOL} and its companions; docs/configuration.md.
     */
    interface Kafka {
        String bootstrapServers();

        /** PLAINTEXT on one host (loopback, a private bridge network); SASL_SSL in Kubernetes. */
        @WithDefault("PLAINTEXT")
        String securityProtocol();

        /** SCRAM-SHA-512 with Strimzi's KafkaUsers; SASL protocols only. */
        Optional<String> saslMechanism();

        /** The login module line with the service's user and password (Strimzi's user Secret). */
        Optional<String> saslJaasConfig();

        /** Format of {@link #truststoreLocation()}: PEM for a CA certificate file. */
        @WithDefault("PEM")
        String truststoreType();

        /** The broker's CA certificate (Strimzi's cluster CA); absent: the JVM's trusted CAs. */
        Optional<String> truststoreLocation();
    }

    interface S3 {
        String endpoint();

        String accessKey();

        String secretKey();

        @WithDefault("us-east-1")
        String region();

        /** Read/write timeout of one S3 request. */
        @WithDefault("30s")
        Duration timeout();

        /**
         * How long an operation goes on retrying while S3 is unavailable (refused connections, timeouts,
         * 5xx) before it fails; 0: no retries. Long enough to ride out a restart of the S3 server.
         */
        @WithDefault("30s")
        Duration retryBudget();
    }

    /** What a service creates when it finds it missing. */
    interface Provisioning {
        /** Create the design's buckets on first contact with S3. */
        @WithDefault("true")
        boolean createBuckets();

        /** Create the design's topics (with their partitions and compaction) on first contact with Kafka. */
        @WithDefault("true")
        boolean createTopics();

        /** Replication factor of created topics: 1 on a single broker, 3 in a cluster. */
        @WithDefault("1")
        short topicReplicationFactor();
    }

    interface Probe {
        /** How often Kafka and S3 are probed for readiness. */
        @WithDefault("5s")
        Duration interval();

        /** How long one probe may take before the dependency counts as down. */
        @WithDefault("3s")
        Duration timeout();
    }
}
