package dev.ddpm.core.messaging;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.security.auth.SecurityProtocol;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * How a Kafka client authenticates and encrypts. On one host (the local stack, tests, compose) the
 * broker listens in plain text on loopback or a private bridge network; in Kubernetes, where pods of
 * other workloads share the network, the clients speak SASL (SCRAM) over TLS with credentials of their
 * own. Every client of a process (the Reactive Messaging channels, the admin client, plain producers)
 * takes these settings from {@link KafkaSettings}, so none of them connects differently.
 *
 * @param protocol           {@code security.protocol}: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL
 * @param saslMechanism      {@code sasl.mechanism} (SASL only), e.g. SCRAM-SHA-512
 * @param saslJaasConfig     {@code sasl.jaas.config} (SASL only): the login module with user and password
 * @param truststoreType     {@code ssl.truststore.type} (TLS only): PEM for a CA certificate file
 * @param truststoreLocation {@code ssl.truststore.location} (TLS only); absent: the JVM's trusted CAs
 */
public record KafkaSecurity(
        String protocol,
        String saslMechanism,
        String saslJaasConfig,
        String truststoreType,
        String truststoreLocation) {

    public static final String PROTOCOL_VARIABLE = "KAFKA_SECURITY_PROTOCOL";
    public static final String SASL_MECHANISM_VARIABLE = "KAFKA_SASL_MECHANISM";
    public static final String SASL_JAAS_CONFIG_VARIABLE = "KAFKA_SASL_JAAS_CONFIG";
    public static final String TRUSTSTORE_TYPE_VARIABLE = "KAFKA_SSL_TRUSTSTORE_TYPE";
    public static final String TRUSTSTORE_LOCATION_VARIABLE = "KAFKA_SSL_TRUSTSTORE_LOCATION";
    /** A CA certificate file, as Strimzi's cluster CA Secret holds it. */
    public static final String DEFAULT_TRUSTSTORE_TYPE = "PEM";

    public static final KafkaSecurity PLAINTEXT = new KafkaSecurity("PLAINTEXT", null, null, null, null);

    public KafkaSecurity {
        protocol = blankToNull(protocol);
        saslMechanism = blankToNull(saslMechanism);
        saslJaasConfig = blankToNull(saslJaasConfig);
        truststoreType = blankToNull(truststoreType);
        truststoreLocation = blankToNull(truststoreLocation);
        SecurityProtocol parsed = parse(protocol);
        protocol = parsed.name;
        if (usesSasl(parsed)) {
            require(saslMechanism, SASL_MECHANISM_VARIABLE, "ddpm.kafka.sasl-mechanism", protocol);
            require(saslJaasConfig, SASL_JAAS_CONFIG_VARIABLE, "ddpm.kafka.sasl-jaas-config", protocol);
        } else if (saslJaasConfig != null) {
            // Credentials that would be silently ignored: the deployment meant SASL and forgot the protocol.
            throw new IllegalArgumentException(SASL_JAAS_CONFIG_VARIABLE + " (ddpm.kafka.sasl-jaas-config) is set but "
                    + PROTOCOL_VARIABLE + " (ddpm.kafka.security-protocol) is " + protocol
                    + ", which sends no credentials: set it to SASL_SSL");
        }
        if (usesTls(parsed)) {
            if (truststoreLocation != null && !Files.isReadable(Path.of(truststoreLocation))) {
                throw new IllegalArgumentException(TRUSTSTORE_LOCATION_VARIABLE
                        + " (ddpm.kafka.truststore-location) names " + truststoreLocation
                        + ", which is not a readable file (the broker's CA certificate)");
            }
            truststoreType = truststoreType == null ? DEFAULT_TRUSTSTORE_TYPE : truststoreType;
        } else {
            truststoreType = null;
            truststoreLocation = null;
        }
        if (!usesSasl(parsed)) {
            saslMechanism = null;
        }
    }

    /** The settings of {@code KAFKA_SECURITY_PROTOCOL} and its companions (PLAINTEXT when unset). */
    public static KafkaSecurity fromEnvironment(UnaryOperator<String> environment) {
        String protocol = blankToNull(environment.apply(PROTOCOL_VARIABLE));
        return new KafkaSecurity(
                protocol == null ? PLAINTEXT.protocol() : protocol,
                environment.apply(SASL_MECHANISM_VARIABLE),
                environment.apply(SASL_JAAS_CONFIG_VARIABLE),
                environment.apply(TRUSTSTORE_TYPE_VARIABLE),
                environment.apply(TRUSTSTORE_LOCATION_VARIABLE));
    }

    /** The Kafka client properties: {@code security.protocol} always, the SASL and TLS ones where they apply. */
    public Map<String, Object> clientProperties() {
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, protocol);
        if (saslMechanism != null) {
            properties.put(SaslConfigs.SASL_MECHANISM, saslMechanism);
            properties.put(SaslConfigs.SASL_JAAS_CONFIG, saslJaasConfig);
        }
        if (truststoreType != null) {
            properties.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, truststoreType);
        }
        if (truststoreLocation != null) {
            properties.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, truststoreLocation);
        }
        return properties;
    }

    /** Never shows the JAAS configuration: it holds the password. */
    @Override
    public String toString() {
        return "KafkaSecurity[protocol=" + protocol + ", saslMechanism=" + saslMechanism + ", saslJaasConfig="
                + (saslJaasConfig == null ? null : "(hidden)") + ", truststoreType=" + truststoreType
                + ", truststoreLocation=" + truststoreLocation + "]";
    }

    private static SecurityProtocol parse(String protocol) {
        if (protocol == null) {
            throw new IllegalArgumentException(
                    PROTOCOL_VARIABLE + " (ddpm.kafka.security-protocol) is empty; one of " + SecurityProtocol.names());
        }
        try {
            return SecurityProtocol.forName(protocol);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PROTOCOL_VARIABLE + " (ddpm.kafka.security-protocol) is '" + protocol
                    + "', not one of " + Arrays.toString(SecurityProtocol.values()));
        }
    }

    private static boolean usesSasl(SecurityProtocol protocol) {
        return protocol == SecurityProtocol.SASL_SSL || protocol == SecurityProtocol.SASL_PLAINTEXT;
    }

    private static boolean usesTls(SecurityProtocol protocol) {
        return protocol == SecurityProtocol.SASL_SSL || protocol == SecurityProtocol.SSL;
    }

    private static void require(String value, String variable, String property, String protocol) {
        if (value == null) {
            throw new IllegalArgumentException(
                    variable + " (" + property + ") must be set when the security protocol is " + protocol);
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }
}
