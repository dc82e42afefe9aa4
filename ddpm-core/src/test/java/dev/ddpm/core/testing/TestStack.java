package dev.ddpm.core.testing;

import dev.ddpm.core.messaging.KafkaSettings;
import dev.ddpm.core.storage.S3Settings;

import java.time.Duration;

/**
 * The real broker and S3 server the integration tests run against. The test command
 * ({@code scripts/test.sh}) starts one of each for the whole run and exports where they are.
 */
public final class TestStack {

    private TestStack() {}

    public static KafkaSettings kafka(String serviceName) {
        return new KafkaSettings(required("KAFKA_BOOTSTRAP_SERVERS"), serviceName);
    }

    public static S3Settings s3() {
        return new S3Settings(
                required("S3_ENDPOINT"),
                required("S3_ACCESS_KEY"),
                required("S3_SECRET_KEY"),
                "us-east-1",
                Duration.ofSeconds(20));
    }

    public static String required(String name) {
        String value = System.getenv(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException(name + " is not set: integration tests need the real broker and S3 server."
                    + " Run them through scripts/test.sh, or start deploy/local/stack.sh start infra and"
                    + " eval \"$(deploy/local/stack.sh env)\" first.");
        }
        return value;
    }
}
