package dev.ddpm.gateway.auth;

import dev.ddpm.core.events.TrainingRequested;
import dev.ddpm.core.storage.Sha256;
import dev.ddpm.gateway.config.GatewayConfig;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Checks presented API keys against the configured sha256 hashes (the keys themselves are never
 * stored or logged), comparing in constant time. Checked at start: each hash, and each key id against
 * those the trainer uses for runs no key asked for.
 */
// Application-scoped (a lazy proxy): the REST filter holding it is built at static init, before config is read.
@Startup
@ApplicationScoped
public class ApiKeys {

    private final boolean enabled;
    private final Map<String, byte[]> hashes = new LinkedHashMap<>();
    private final Map<String, Set<Scope>> scopes = new LinkedHashMap<>();

    public ApiKeys(GatewayConfig config) {
        this.enabled = config.auth().enabled();
        config.auth().keys().forEach((id, key) -> {
            if (TrainingRequested.NOT_API_KEYS.contains(id)) {
                // A run requested with such an id would be taken for the command line's or a retraining's.
                throw new IllegalArgumentException("gateway.auth.keys." + id + ": the key id '" + id
                        + "' is reserved (the trainer records it for runs no API key asked for: "
                        + String.join(", ", new TreeSet<>(TrainingRequested.NOT_API_KEYS)) + "); choose another id");
            }
            String hex = key.sha256().trim().toLowerCase(Locale.ROOT);
            if (!hex.matches("[0-9a-f]{64}")) {
                throw new IllegalArgumentException("gateway.auth.keys." + id + ".sha256 must be 64 hex digits");
            }
            hashes.put(id, HexFormat.of().parseHex(hex));
            Set<Scope> set = EnumSet.noneOf(Scope.class);
            key.scopes().forEach(s -> set.add(Scope.parse(s)));
            scopes.put(id, set);
        });
    }

    public boolean enabled() {
        return enabled;
    }

    /** The key a request presents: the X-API-Key header, else an {@code Authorization: Bearer} one. */
    public static String presented(String apiKeyHeader, String authorizationHeader) {
        if (apiKeyHeader == null
                && authorizationHeader != null
                && authorizationHeader.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return authorizationHeader.substring(7);
        }
        return apiKeyHeader;
    }

    /** The caller a key belongs to, if it is one of ours. */
    public Optional<Caller> identify(String presented) {
        if (!enabled) {
            return Optional.of(Caller.ANONYMOUS_ADMIN);
        }
        if (presented == null || presented.isBlank()) {
            return Optional.empty();
        }
        byte[] hash = HexFormat.of().parseHex(Sha256.of(presented.trim().getBytes(StandardCharsets.UTF_8)));
        Caller found = null;
        for (Map.Entry<String, byte[]> entry : hashes.entrySet()) {
            if (MessageDigest.isEqual(entry.getValue(), hash)) { // constant time per comparison
                found = new Caller(entry.getKey(), scopes.get(entry.getKey()));
            }
        }
        return Optional.ofNullable(found);
    }
}
