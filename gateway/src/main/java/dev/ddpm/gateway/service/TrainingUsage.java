package dev.ddpm.gateway.service;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One key's training work at one moment, as its training quota counts it from the runs the gateway
 * knows ({@link TrainingRuns}).
 *
 * @param running          its runs the trainers report running
 * @param queued           its runs requested and not started: neither cancelled nor older than the
 *                         queued expiry (such a run is presumed lost: by default its request has
 *                         left the requests' topic, so no trainer can start it)
 * @param minutesRun       minutes its runs ran inside the last 24 h
 * @param minutesCommitted minutes its queued and running runs may still run: their time boxes, less
 *                         what a running one has run
 * @param ran              the stretches its runs ran inside the last 24 h, clipped to it
 * @param boxEnds          when each of its running time-boxed runs reaches its box, soonest first
 * @param at               the moment counted
 */
public record TrainingUsage(
        int running,
        int queued,
        double minutesRun,
        double minutesCommitted,
        List<Stretch> ran,
        List<Instant> boxEnds,
        Instant at) {

    /** The window training minutes are counted in. */
    public static final Duration WINDOW = Duration.ofHours(24);

    /** A stretch of time a run ran. */
    public record Stretch(Instant from, Instant to) {

        double minutesWithin(Instant start, Instant end) {
            Instant a = from.isAfter(start) ? from : start;
            Instant b = to.isBefore(end) ? to : end;
            return b.isAfter(a) ? minutes(Duration.between(a, b)) : 0;
        }
    }

    /** The runs {@code keyId} requested (null: those whose requester is not known), counted at {@code now}. */
    public static TrainingUsage of(
            Collection<TrainingRuns.Run> runs, String keyId, Instant now, Duration queuedExpiry) {
        Instant windowStart = now.minus(WINDOW);
        int running = 0;
        int queued = 0;
        double committed = 0;
        List<Stretch> ran = new ArrayList<>();
        List<Instant> boxEnds = new ArrayList<>();
        for (TrainingRuns.Run run : runs) {
            if (!Objects.equals(run.requestedBy(), keyId)) {
                continue;
            }
            TrainingRuns.Timeline timeline = run.timeline();
            if (run.state() == TrainingRuns.State.REQUESTED) {
                if (timeline.requestedAt() != null
                        && !timeline.cancelRequested()
                        && timeline.requestedAt().isAfter(now.minus(queuedExpiry))) {
                    queued++;
                    committed += timeline.maxMinutes();
                }
                continue;
            }
            Instant started = timeline.startedAt() == null ? now : timeline.startedAt();
            if (run.state() == TrainingRuns.State.RUNNING) {
                running++;
                ran.add(new Stretch(started, now));
                if (timeline.maxMinutes() > 0) {
                    double runSoFar = new Stretch(started, now).minutesWithin(Instant.MIN, now);
                    committed += Math.max(0, timeline.maxMinutes() - runSoFar);
                    boxEnds.add(started.plus(Duration.ofMillis((long) (timeline.maxMinutes() * 60_000))));
                }
            } else if (timeline.startedAt() != null) {
                ran.add(new Stretch(started, timeline.endedAt() == null ? run.updatedAt() : timeline.endedAt()));
            }
        }
        double minutesRun =
                ran.stream().mapToDouble(s -> s.minutesWithin(windowStart, now)).sum();
        boxEnds.sort(null);
        return new TrainingUsage(running, queued, minutesRun, committed, List.copyOf(ran), List.copyOf(boxEnds), now);
    }

    /** Minutes run in the window plus minutes committed. */
    public double minutesUsed() {
        return minutesRun + minutesCommitted;
    }

    /**
     * How long until {@code minutes} of what was run have left the 24 h window, the oldest first;
     * empty when fewer than that were run in it (the rest is committed by runs that have yet to run).
     * Runs that run meanwhile move minutes from committed to run, which changes nothing; one without a
     * time box adds minutes, so this is the soonest the same request could be taken.
     */
    public Optional<Duration> untilLeft(double minutes) {
        Instant windowStart = at.minus(WINDOW);
        if (leftBy(windowStart, WINDOW.toSeconds()) < minutes) {
            return Optional.empty();
        }
        long low = 0;
        long high = WINDOW.toSeconds();
        while (low < high) {
            long mid = (low + high) / 2;
            if (leftBy(windowStart, mid) >= minutes) {
                high = mid;
            } else {
                low = mid + 1;
            }
        }
        return Optional.of(Duration.ofSeconds(Math.max(1, low)));
    }

    private double leftBy(Instant windowStart, long seconds) {
        Instant until = windowStart.plusSeconds(seconds);
        return ran.stream()
                .mapToDouble(s -> s.minutesWithin(windowStart, until))
                .sum();
    }

    /**
     * How long until {@code count} more of its running runs have reached their time boxes (when they
     * end at the latest); empty when fewer of them have a box.
     */
    public Optional<Duration> untilBoxesEnd(int count) {
        if (count < 1 || boxEnds.size() < count) {
            return Optional.empty();
        }
        Duration wait = Duration.between(at, boxEnds.get(count - 1));
        return Optional.of(wait.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : wait);
    }

    /** Minutes as the API shows them: to a tenth, rounded up (a figure shown never understates use). */
    public static double shown(double minutes) {
        return BigDecimal.valueOf(minutes).setScale(1, RoundingMode.CEILING).doubleValue();
    }

    static double minutes(Duration duration) {
        return duration.toMillis() / 60_000.0;
    }
}
