package dev.ddpm.gateway.service;

import dev.ddpm.core.events.EventData;
import dev.ddpm.core.events.SampleJobCompleted;
import dev.ddpm.core.events.SampleJobFailed;
import jakarta.inject.Singleton;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Outcomes of asynchronous sampling jobs, folded from {@code ddpm.sample-results} (every replica
 * reads all, see {@code SampleResultsConsumer}). A completion wins over a failure of the same job.
 */
@Singleton
public class SampleJobResults {

    private final ConcurrentMap<String, EventData> outcomes = new ConcurrentHashMap<>();

    /** SampleJobCompleted or SampleJobFailed, once the job has ended. */
    public Optional<EventData> outcome(String jobId) {
        return Optional.ofNullable(outcomes.get(jobId));
    }

    /** Records a SampleJobCompleted or SampleJobFailed. */
    public void record(EventData data) {
        if (data instanceof SampleJobCompleted c) {
            outcomes.put(c.jobId(), c);
        } else if (data instanceof SampleJobFailed f) {
            outcomes.putIfAbsent(f.jobId(), f);
        } else {
            throw new IllegalArgumentException(
                    "not a sample job outcome: " + data.getClass().getSimpleName());
        }
    }
}
