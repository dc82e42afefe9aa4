package dev.ddpm.gateway.client;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** The one counter of sampling events a slow client never read, wherever they were dropped. */
public final class SupersededEvents {

    private SupersededEvents() {}

    public static Counter counter(MeterRegistry registry) {
        return Counter.builder("ddpm.gateway.sampler.superseded.events")
                .description("Progress and preview events a slow client never read, replaced by newer ones")
                .register(registry);
    }
}
