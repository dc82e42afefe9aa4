package dev.ddpm.core.api;

import dev.ddpm.core.json.Require;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;

/**
 * The one way a run id is made, whoever asks for the run (the gateway's APIs, the CLI, a data set
 * change): {@code {model}-{yyyyMMdd-HHmmss}-{4 hex}}, in UTC. The time sorts runs and tells a person
 * when one started; the random suffix keeps two runs asked in the same second apart.
 */
public final class RunIds {

    /** Longest model prefix kept, so that an id stays a safe name (at most 63 characters). */
    static final int MAX_PREFIX = 40;

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");
    private static final SecureRandom RANDOM = new SecureRandom();

    private RunIds() {}

    /** A new run id for a run of {@code model} (a safe name), at the clock's time. */
    public static String next(String model, Clock clock) {
        Require.safeName(model, "modelName");
        String prefix = model.length() > MAX_PREFIX ? model.substring(0, MAX_PREFIX) : model;
        byte[] suffix = new byte[2];
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
}
