package dev.ddpm.gateway;

import jakarta.enterprise.inject.Alternative;
import jakarta.inject.Singleton;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * The gateway's clock in tests that enable it (a profile's alternative): the system's, until a test
 * stops it at an instant and moves it on, so that windows of hours pass without waiting.
 */
@Alternative
@Singleton
public class MovableClock extends Clock {

    private volatile Instant stopped;

    /** Stops the clock at the system's time now, and answers that instant. */
    public Instant stop() {
        stopped = Instant.now();
        return stopped;
    }

    /** Moves a stopped clock on. */
    public Instant advance(Duration by) {
        if (stopped == null) {
            throw new IllegalStateException("stop the clock before moving it");
        }
        stopped = stopped.plus(by);
        return stopped;
    }

    /** Back to the system's time. */
    public void release() {
        stopped = null;
    }

    @Override
    public Instant instant() {
        Instant at = stopped;
        return at == null ? Instant.now() : at;
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("the gateway reads instants only");
    }
}
