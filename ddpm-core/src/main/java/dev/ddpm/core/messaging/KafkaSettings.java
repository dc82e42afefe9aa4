package dev.ddpm.core.messaging;

import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.util.HashMap;
import java.util.Map;

/**
 * Kafka client configuration shared by every service, so the design's guarantees hold everywhere:
 * producers are idempotent with acks=all (no lost or duplicated writes on retry), consumers commit
 * by hand after processing, read only committed records, and belong to one group per service
 * ({@code ddpm-<service>}; replicas of a service share the work, services each see every event).
 *
 * Where and how to connect ({@link #connection()}: the servers and {@link KafkaSecurity}) is the same
 * for every client of a process: the services hand that map to their Reactive Messaging channels too.
 *
 * @param bootstrapServers comma-separated host:port list
 * @param serviceName      e.g. {@code trainer-service}; names the client ids and the consumer group
 * @param security         plain text or SASL over TLS
 */
public record KafkaSettings(String bootstrapServers, String serviceName, KafkaSecurity security) {

    /** Reconnect back-off ceiling: a broker that is down is retried at most this often, quietly. */
    private static final String RECONNECT_BACKOFF_MAX_MS = "10000";
    /** First reconnect delay (the client default, 50 ms, spins when a broker is down for long). */
    private static final String RECONNECT_BACKOFF_MS = "500";

    public KafkaSettings {
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("Kafka bootstrap servers are not configured (KAFKA_BOOTSTRAP_SERVERS)");
        }
        if (serviceName == null || !serviceName.matches("[a-z0-9][a-z0-9-]*")) {
            throw new IllegalArgumentException(
                    "service name must be lower-case letters, digits and '-', was '" + serviceName + "'");
        }
        if (security == null) {
            throw new IllegalArgumentException("Kafka security settings are missing (KAFKA_SECURITY_PROTOCOL)");
        }
    }

    /** A plain-text connection: the local stack and the tests, where the broker listens on loopback. */
    public KafkaSettings(String bootstrapServers, String serviceName) {
        this(bootstrapServers, serviceName, KafkaSecurity.PLAINTEXT);
    }

    /** Where and how every client connects: {@code bootstrap.servers} and the security properties. */
    public Map<String, Object> connection() {
        Map<String, Object> config = new HashMap<>(security.clientProperties());
        config.put("bootstrap.servers", bootstrapServers);
        return config;
    }

    /** The consumer group of this service. */
    public String consumerGroup() {
        return "ddpm-" + serviceName;
    }

    public Map<String, Object> producer() {
        Map<String, Object> config = common("producer");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Delivery.TIMEOUT.toMillis());
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Delivery.REQUEST_TIMEOUT.toMillis());
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Delivery.MAX_BLOCK.toMillis());
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return config;
    }

    public Map<String, Object> consumer() {
        return consumer(consumerGroup());
    }

    /** A consumer in another group (tests, or a per-replica broadcast group such as model updates). */
    public Map<String, Object> consumer(String groupId) {
        Map<String, Object> config = common("consumer");
        config.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return config;
    }

    public Map<String, Object> admin() {
        Map<String, Object> config = common("admin");
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
        return config;
    }

    private Map<String, Object> common(String role) {
        Map<String, Object> config = connection();
        config.put("client.id", "ddpm-" + serviceName + "-" + role);
        config.put("reconnect.backoff.ms", RECONNECT_BACKOFF_MS);
        config.put("reconnect.backoff.max.ms", RECONNECT_BACKOFF_MAX_MS);
        return config;
    }
}
