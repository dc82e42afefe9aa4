package dev.ddpm.sampler.service;

import dev.ddpm.sampler.batching.SamplerShuttingDownException;
import dev.ddpm.sampler.batching.StepBatcher;
import dev.ddpm.sampler.config.DrainConfig;
import dev.ddpm.sampler.config.SamplerConfig;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import jakarta.interceptor.Interceptor;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The sampler's stop: from the signal on it refuses new requests (503 / UNAVAILABLE with a retry hint,
 * and readiness DOWN, so that callers go to another replica), lets the requests and jobs it holds
 * finish for up to {@code sampler.shutdown.drain-timeout}, then fails what is left as "shutting
 * down". A job's record stays unacknowledged unless its outcome was announced, so a job stopped here
 * is delivered again to a replica that stays. The drain runs at the first notice of the stop
 * ({@link ShutdownDelayInitiatedEvent}, before the HTTP server stops taking requests, so results
 * still reach their callers) or, where that notice is off, before the batcher stops.
 */
@Singleton
public class GracefulDrain {

    private static final Logger LOG = Logger.getLogger(GracefulDrain.class);
    private static final Duration POLL = Duration.ofMillis(50);
    /** How long the batcher's loop gets to fail what it still holds once the drain time is up. */
    private static final Duration ABANDON_WAIT = Duration.ofSeconds(5);

    private final StepBatcher batcher;
    private final SampleJobRunner jobs;
    private final DrainConfig drain;
    private final SamplerConfig sampler;
    private final AtomicBoolean started = new AtomicBoolean();

    public GracefulDrain(StepBatcher batcher, SampleJobRunner jobs, DrainConfig drain, SamplerConfig sampler) {
        this.batcher = batcher;
        this.jobs = jobs;
        this.drain = drain;
        this.sampler = sampler;
    }

    void onStopRequested(@Observes ShutdownDelayInitiatedEvent event) {
        drain();
    }

    void onStop(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) ShutdownEvent event) {
        drain();
    }

    /** Drains once; returns when nothing is held any more, or the drain time is up and the rest failed. */
    void drain() {
        if (!started.compareAndSet(false, true)) {
            return;
        }
        Duration timeout = drain.drainTimeout();
        batcher.stopAdmitting();
        LOG.infof(
                "shutting down: new requests are refused; %d requests held and %d job outcomes being announced"
                        + " get up to %s to finish",
                batcher.heldRequests(), jobs.finishing(), seconds(timeout));
        long start = System.nanoTime();
        if (await(start + timeout.toNanos(), () -> batcher.heldRequests() == 0 && jobs.finishing() == 0)) {
            LOG.infof("drained in %s", seconds(Duration.ofNanos(System.nanoTime() - start)));
            return;
        }
        int left = batcher.heldRequests();
        LOG.warnf(
                "the drain time (%s) is up: the %d requests still held fail as shutting down", seconds(timeout), left);
        batcher.abandonHeld(new SamplerShuttingDownException(
                "the request did not finish within the drain time (sampler.shutdown.drain-timeout, " + seconds(timeout)
                        + "): send it again, another replica takes it",
                sampler.retryAfter()));
        if (!await(System.nanoTime() + ABANDON_WAIT.toNanos(), () -> batcher.heldRequests() == 0)) {
            LOG.errorf("the step batcher did not let go of %d requests; stopping anyway", batcher.heldRequests());
        }
    }

    private static boolean await(long deadlineNanos, java.util.function.BooleanSupplier done) {
        while (!done.getAsBoolean()) {
            if (System.nanoTime() - deadlineNanos > 0) {
                return false;
            }
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return done.getAsBoolean();
            }
        }
        return true;
    }

    private static String seconds(Duration duration) {
        return String.format(Locale.ROOT, "%.1f s", duration.toMillis() / 1000.0);
    }
}
