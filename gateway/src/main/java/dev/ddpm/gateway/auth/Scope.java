package dev.ddpm.gateway.auth;

import java.util.Locale;

/** What a key may do: sample (and read models), train (trainings and data sets), admin (everything). */
public enum Scope {
    SAMPLE,
    TRAIN,
    ADMIN;

    public static Scope parse(String value) {
        return valueOf(value.trim().toUpperCase(Locale.ROOT));
    }
}
