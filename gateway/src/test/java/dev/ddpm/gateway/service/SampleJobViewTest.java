package dev.ddpm.gateway.service;

import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.events.SampleJobCancelRequested;
import dev.ddpm.core.events.SampleJobCompleted;
import dev.ddpm.core.events.SampleJobFailed;
import dev.ddpm.core.events.SampleJobRequested;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.storage.ObjectRef;
import dev.ddpm.gateway.service.SampleJobs.State;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The job view every replica folds from the jobs' and the results' topics: idempotent, only moving
 * forward whatever order and however often events arrive, and bounded.
 */
class SampleJobViewTest {

    private static final String SHA = "a".repeat(64);

    private final SampleJobView view = new SampleJobView();

    private static SampleJobRequested request(String jobId, String requestedBy) {
        return new SampleJobRequested(
                jobId, Json.read("{\"model\":\"emoji\",\"count\":2}".getBytes(), SamplingRequest.class), requestedBy);
    }

    private static SampleJobCompleted completed(String jobId) {
        return new SampleJobCompleted(
                jobId, "emoji", "v3", List.of(new ObjectRef("ddpm-samples", jobId + "/image-0.png", 10, SHA)));
    }

    @Test
    void aRequestIsQueuedWithItsOwnerACancelMakesItCancellingAndItsEndIsFinal() {
        view.apply(request("job-1", "alice"));
        SampleJobView.Job queued = view.get("job-1").orElseThrow();
        assertThat(queued.state()).isEqualTo(State.QUEUED);
        assertThat(queued.requestedBy()).isEqualTo("alice");
        assertThat(queued.model()).isEqualTo("emoji");

        view.apply(new SampleJobCancelRequested("job-1"));
        assertThat(view.get("job-1").orElseThrow().state()).isEqualTo(State.CANCELLING);

        view.apply(new SampleJobFailed("job-1", "cancelled by a client", true));
        SampleJobView.Job cancelled = view.get("job-1").orElseThrow();
        assertThat(cancelled.state()).isEqualTo(State.CANCELLED);
        assertThat(cancelled.requestedBy()).as("kept").isEqualTo("alice");

        view.apply(request("job-1", "bob"));
        view.apply(new SampleJobCancelRequested("job-1"));
        view.apply(new SampleJobFailed("job-1", "cancelled again", true));
        view.apply(new SampleJobFailed("job-1", "another failure"));
        assertThat(view.get("job-1").orElseThrow())
                .as("a redelivered request, cancel or end changes nothing")
                .isSameAs(cancelled);
    }

    @Test
    void aCompletionWinsOverAFailureIsFoldedOnceAndALateRequestDoesNotReopenIt() {
        view.apply(completed("job-2"));
        view.apply(request("job-2", "alice"));
        SampleJobView.Job done = view.get("job-2").orElseThrow();
        assertThat(done.state()).as("the outcome read before the request").isEqualTo(State.SUCCEEDED);
        assertThat(done.requestedBy()).as("the owner still learned").isEqualTo("alice");
        assertThat(done.version()).isEqualTo("v3");
        assertThat(done.results()).hasSize(1);

        view.apply(completed("job-2"));
        view.apply(new SampleJobFailed("job-2", "late failure"));
        view.apply(new SampleJobCancelRequested("job-2"));
        assertThat(view.get("job-2").orElseThrow())
                .as("a re-announced completion, a late failure and a cancel change nothing")
                .isSameAs(done);

        view.apply(request("job-3", "alice"));
        view.apply(new SampleJobFailed("job-3", "results could not be stored"));
        view.apply(completed("job-3"));
        assertThat(view.get("job-3").orElseThrow().state())
                .as("the sampler stored the results after all")
                .isEqualTo(State.SUCCEEDED);
    }

    @Test
    void aCancelForAnUnknownJobAddsNothingAndAnyOtherEventIsRefused() {
        view.apply(new SampleJobCancelRequested("job-4"));
        assertThat(view.get("job-4")).isEmpty();
        assertThatThrownBy(() -> view.apply(new dev.ddpm.core.events.TrainingCancelRequested("r", "k")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theViewIsBoundedAndDropsEndedJobsBeforeOpenOnes() {
        SampleJobView small = new SampleJobView(10);
        for (int i = 0; i < 5; i++) {
            small.apply(request("job-open-" + i, "alice"));
        }
        for (int i = 0; i < 20; i++) {
            small.apply(completed("job-done-" + i));
        }
        assertThat(small.size()).isLessThanOrEqualTo(10);
        for (int i = 0; i < 5; i++) {
            assertThat(small.get("job-open-" + i)).as("open jobs are kept").isPresent();
        }
        assertThat(small.get("job-done-19")).as("the newest ended job is kept").isPresent();
        assertThat(small.get("job-done-0"))
                .as("the oldest ended job went first")
                .isEmpty();
    }

    @Test
    void aResultCheckIsClaimedOnlyForAnOpenJobOldEnoughAndAtMostOncePerInterval() {
        view.apply(request("job-5", "alice"));
        assertThat(view.claimResultCheck("job-5", Duration.ofMinutes(1), Duration.ZERO))
                .as("too fresh")
                .isFalse();
        assertThat(view.claimResultCheck("job-5", Duration.ZERO, Duration.ofMinutes(1)))
                .isTrue();
        assertThat(view.claimResultCheck("job-5", Duration.ZERO, Duration.ofMinutes(1)))
                .as("looked already within the interval")
                .isFalse();
        assertThat(view.claimResultCheck("job-unknown", Duration.ZERO, Duration.ZERO))
                .isFalse();
        view.apply(completed("job-5"));
        assertThat(view.claimResultCheck("job-5", Duration.ZERO, Duration.ZERO))
                .as("ended")
                .isFalse();
    }
}
