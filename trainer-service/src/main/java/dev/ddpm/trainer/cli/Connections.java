package dev.ddpm.trainer.cli;

import dev.ddpm.core.messaging.KafkaSecurity;
import dev.ddpm.core.messaging.KafkaSettings;
import dev.ddpm.core.signing.ManifestSigner;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.S3Settings;
import dev.ddpm.trainer.signing.SigningKeySource;
import picocli.CommandLine.Command;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Where the commands find S3 and Kafka: {@code S3_ENDPOINT}, {@code S3_ACCESS_KEY},
 * {@code S3_SECRET_KEY}, {@code S3_REGION} and {@code KAFKA_BOOTSTRAP_SERVERS}, the local stack's
 * addresses when unset; Kafka's security from {@code KAFKA_SECURITY_PROTOCOL} and its companions, as in
 * the services (plain text when unset). A mixin of the commands that talk to them, so each declares that it does
 * (and its help names the variables); the settings come from the environment, never from options, so
 * keys stay out of the process list.
 */
@Command(
        footer = {
            "",
            "S3 and Kafka are those of S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_REGION and "
                    + "KAFKA_BOOTSTRAP_SERVERS (the local stack's when unset); Kafka security from "
                    + "KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM, KAFKA_SASL_JAAS_CONFIG, KAFKA_SSL_TRUSTSTORE_TYPE "
                    + "and KAFKA_SSL_TRUSTSTORE_LOCATION (plain text when unset).",
            "Published manifests are signed with the Ed25519 private key in TRAINER_SIGNING_PRIVATE_KEY_FILE "
                    + "(a PEM file) or TRAINER_SIGNING_PRIVATE_KEY (PEM or base64 DER), as the trainer service's."
        })
final class Connections {

    static final String CLIENT_NAME = "trainer-cli";
    /** The CloudEvents source of what the commands publish. */
    static final String EVENT_SOURCE = "/ddpm/cli";

    /** {@code ddpm.s3.retry-budget}'s default in the services. */
    private static final Duration STORE_RETRY_BUDGET = Duration.ofSeconds(30);

    private Map<String, String> environment = System.getenv();

    /** The settings another environment gives (tests). */
    Connections in(Map<String, String> environment) {
        this.environment = environment;
        return this;
    }

    /** S3 with the services' request timeout ({@link S3Settings}'s default, as {@code ddpm.s3.timeout}'s). */
    S3Settings s3() {
        return new S3Settings(
                env("S3_ENDPOINT", "http://127.0.0.1:9000"),
                env("S3_ACCESS_KEY", "ddpm-local"),
                env("S3_SECRET_KEY", "ddpm-local-secret"),
                env("S3_REGION", "us-east-1"),
                null);
    }

    /** The object store, retrying while S3 is unavailable for as long as the services do by default. */
    ArtifactStore store() {
        return new ArtifactStore(s3(), STORE_RETRY_BUDGET);
    }

    /** The trainer's manifest signer, from the variables the service's settings are also read from. */
    ManifestSigner signer() {
        SigningKeySource source = new SigningKeySource(
                Optional.ofNullable(env("TRAINER_SIGNING_PRIVATE_KEY", null)),
                Optional.ofNullable(env("TRAINER_SIGNING_PRIVATE_KEY_FILE", null))
                        .map(Path::of),
                "TRAINER_SIGNING_PRIVATE_KEY",
                "TRAINER_SIGNING_PRIVATE_KEY_FILE");
        return source.signer().orElseThrow(() -> new IllegalArgumentException(source.missing()));
    }

    KafkaSettings kafka() {
        return new KafkaSettings(
                env("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
                CLIENT_NAME,
                KafkaSecurity.fromEnvironment(environment::get));
    }

    private String env(String name, String fallback) {
        String value = environment.get(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
