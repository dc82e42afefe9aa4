package dev.ddpm.core.diffusion;

import java.util.Arrays;
import java.util.Locale;

/** Variance of the DDPM reverse step (Ho et al. 2020, section 3.2: both gave similar results). */
public enum DdpmVariance {
    /** sigma_t^2 = beta~_t, the posterior variance: optimal for a deterministic x_0. */
    FIXED_SMALL,
    /** sigma_t^2 = beta_t: optimal for x_0 ~ N(0, I). */
    FIXED_LARGE;

    /** The name the REST API, the manifest's readers and the CLI use: {@code fixed_small}, {@code fixed_large}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** All wire names, for choice lists and error messages. */
    public static String[] wireNames() {
        return Arrays.stream(values()).map(DdpmVariance::wireName).toArray(String[]::new);
    }

    /**
     * The variance with this wire name; the one place the strings are mapped, so the API and the CLI
     * cannot drift apart.
     *
     * @throws IllegalArgumentException naming the accepted values when {@code name} is none of them
     */
    public static DdpmVariance byName(String name) {
        return Arrays.stream(values())
                .filter(v -> v.wireName().equals(name))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException(
                        "must be " + String.join(" or ", wireNames()) + ", was '" + name + "'"));
    }
}
