package dev.ddpm.core.storage;

import java.net.URI;
import java.time.Duration;

/**
 * Where the S3 server is and how to sign requests. The defaults of the local stack are documented in
 * docs/configuration.md; in production the keys come from a Secret.
 */
public record S3Settings(String endpoint, String accessKey, String secretKey, String region, Duration timeout) {

    public S3Settings {
        if (endpoint == null || endpoint.isBlank()) {
            throw new IllegalArgumentException("S3 endpoint is not configured (S3_ENDPOINT)");
        }
        URI uri = URI.create(endpoint);
        if (uri.getScheme() == null || uri.getHost() == null) {
            throw new IllegalArgumentException("S3 endpoint must be an http(s) URL, was '" + endpoint + "'");
        }
        if (accessKey == null || accessKey.isBlank() || secretKey == null || secretKey.isBlank()) {
            throw new IllegalArgumentException("S3 credentials are not configured (S3_ACCESS_KEY, S3_SECRET_KEY)");
        }
        region = region == null || region.isBlank() ? "us-east-1" : region;
        timeout = timeout == null ? Duration.ofSeconds(30) : timeout;
    }

    /** Never print the secret key. */
    @Override
    public String toString() {
        return "S3Settings[endpoint=" + endpoint + ", accessKey=" + accessKey + ", region=" + region + "]";
    }
}
