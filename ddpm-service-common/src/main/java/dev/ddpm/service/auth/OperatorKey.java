package dev.ddpm.service.auth;

import dev.ddpm.core.storage.Sha256;
import dev.ddpm.service.config.ConnectionsConfig;
import jakarta.enterprise.context.ApplicationScoped;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * Checks a presented operator key against the configured one, in constant time (over sha256
 * digests, so neither the length nor a prefix leaks through timing).
 */
// Application-scoped (a lazy proxy): the REST filter holding it is built at static init, before config is read.
@ApplicationScoped
public class OperatorKey {

    /** HTTP header and gRPC metadata key that carry it. */
    public static final String HEADER = "x-operator-key";

    private final boolean required;
    private final Optional<byte[]> digest;

    public OperatorKey(ConnectionsConfig config) {
        this.required = config.operator().required();
        this.digest = config.operator().key().filter(k -> !k.isBlank()).map(OperatorKey::sha256);
    }

    public boolean required() {
        return required;
    }

    /** @return null when the key is accepted, else why not (for the 401 / UNAUTHENTICATED detail) */
    public String refusal(String presented) {
        if (digest.isEmpty()) {
            return "this service's operator endpoints are closed: no operator key is configured (ddpm.operator.key)";
        }
        if (presented == null || presented.isEmpty()) {
            return "send the operator key in the " + HEADER + " header (or metadata)";
        }
        return MessageDigest.isEqual(digest.get(), sha256(presented)) ? null : "the operator key is not valid";
    }

    private static byte[] sha256(String key) {
        return Sha256.digest().digest(key.getBytes(StandardCharsets.UTF_8));
    }
}
