package dev.ddpm.service.testing;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.Map;

/** Points the service at a Kafka broker and an S3 server that are not there (nothing listens on port 1). */
public class DependenciesDown implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of(
                "ddpm.kafka.bootstrap-servers", "127.0.0.1:1",
                "ddpm.s3.endpoint", "http://127.0.0.1:1",
                "ddpm.probe.timeout", "1s");
    }
}
