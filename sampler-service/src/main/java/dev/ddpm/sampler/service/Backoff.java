package dev.ddpm.sampler.service;

import dev.ddpm.core.json.Require;

import java.time.Duration;

/** Delays between attempts that failed for a reason that passes: doubling from {@code first} up to {@code longest}. */
record Backoff(Duration first, Duration longest) {

    Backoff {
        Require.nonNull(first, "first");
        Require.nonNull(longest, "longest");
    }

    /** The delay after {@code failures} failed attempts in a row (1 or more). */
    Duration after(int failures) {
        Duration delay = first;
        for (int i = 1; i < failures && delay.compareTo(longest) < 0; i++) {
            delay = delay.multipliedBy(2);
        }
        return delay.compareTo(longest) < 0 ? delay : longest;
    }
}
