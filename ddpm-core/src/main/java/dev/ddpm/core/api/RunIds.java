package dev.ddpm.core.api;

import dev.ddpm.core.json.Require;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.UUID;

/**
 * The one way a run id is made, whoever asks for the run (the gateway's APIs, the CLI, a data set
 * change): {@code {model}-{yyyyMMdd-HHmmss}-{12 hex}}, in UTC. The time sorts runs and tells a person
 * when one started; the random suffix (48 bits) keeps two runs asked in the same second apart and
 * makes an id that was not shown to a caller impractical to guess. A request that
 * may be repeated (an idempotency key) takes a {@link #derived} id instead, the same at every repeat.
 */
public final class RunIds {

    /**
     * Longest model prefix kept, so that an id stays a safe name (at most 63 characters): prefix, the
     * 15 characters of the time, 12 hex digits and two dashes.
     */
    static final int MAX_PREFIX = 34;

    /** Random bytes in an id: 48 bits. */
    private static final int RANDOM_BYTES = 6;

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");
    private static final SecureRandom RANDOM = new SecureRandom();

    private RunIds() {}

    /** A new run id for a run of {@code model} (a safe name), at the clock's time. */
    public static String next(String model, Clock clock) {
        Require.safeName(model, "modelName");
        String prefix = model.length() > MAX_PREFIX ? model.substring(0, MAX_PREFIX) : model;
        byte[] suffix = new byte[RANDOM_BYTES];
        RANDOM.nextBytes(suffix);
        return Require.safeName(
                prefix + "-" + LocalDateTime.now(clock).format(TIME) + "-"
                        + HexFormat.of().formatHex(suffix),
                "runId");
    }

    /** A new run id at the current UTC time. */
    public static String next(String model) {
        return next(model, Clock.systemUTC());
    }

    /**
     * The run id of {@code model} for {@code seed}, the same whenever and wherever it is asked:
     * {@code {model}-{20 hex}}, the hex from a name-based UUID of the seed (80 bits: two seeds never
     * meet in practice). For requests that may be repeated, where the seed names the request (who asked,
     * and the key they gave it).
     */
    public static String derived(String model, String seed) {
        Require.safeName(model, "modelName");
        Require.nonNull(seed, "seed");
        String prefix = model.length() > MAX_PREFIX ? model.substring(0, MAX_PREFIX) : model;
        String hex = UUID.nameUUIDFromBytes(seed.getBytes(StandardCharsets.UTF_8))
                .toString()
                .replace("-", "");
        return Require.safeName(prefix + "-" + hex.substring(0, 20), "runId");
    }
}
