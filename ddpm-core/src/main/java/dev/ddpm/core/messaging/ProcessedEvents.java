package dev.ddpm.core.messaging;

import dev.ddpm.core.events.CloudEvent;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Remembers the (source, id) of the last {@code capacity} events a consumer handled, so a redelivered
 * event (after a rebalance, a retry, or a producer that sent it twice) is recognised and skipped.
 * Handlers whose effect must survive restarts also keep their own durable marker (for example a
 * run's {@code latest.json}); this guards the common in-process case cheaply.
 */
public final class ProcessedEvents {

    private final Map<String, Boolean> seen;

    public ProcessedEvents(int capacity) {
        this.seen = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > capacity;
            }
        };
    }

    /** @return true the first time this event is offered, false for a duplicate */
    public synchronized boolean firstTime(CloudEvent<?> event) {
        return seen.put(key(event), Boolean.TRUE) == null;
    }

    /** Whether this event was remembered as handled (does not remember it). */
    public synchronized boolean handled(CloudEvent<?> event) {
        return seen.containsKey(key(event));
    }

    /** Remembers the event as handled, for work that is marked done only when it has ended. */
    public synchronized void remember(CloudEvent<?> event) {
        seen.put(key(event), Boolean.TRUE);
    }

    private static String key(CloudEvent<?> event) {
        return event.source() + "\n" + event.id();
    }
}
