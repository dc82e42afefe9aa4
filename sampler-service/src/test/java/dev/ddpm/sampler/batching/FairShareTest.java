package dev.ddpm.sampler.batching;

import dev.ddpm.sampler.batching.FairShare.Demand;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.ddpm.sampler.batching.Priority.BACKGROUND;
import static dev.ddpm.sampler.batching.Priority.INTERACTIVE;
import static org.assertj.core.api.Assertions.assertThat;

class FairShareTest {

    @Test
    void requestsGetEqualSlotsAndWhatOthersLeaveGoesToWhoeverCanUseIt() {
        assertThat(FairShare.allocate(List.of(new Demand(16, INTERACTIVE), new Demand(1, INTERACTIVE)), 16, 0))
                .containsExactly(15, 1);
        assertThat(FairShare.allocate(
                        List.of(new Demand(16, INTERACTIVE), new Demand(16, INTERACTIVE), new Demand(2, INTERACTIVE)),
                        16,
                        0))
                .containsExactly(7, 7, 2);
        // The oldest request gets the remainder.
        assertThat(FairShare.allocate(
                        List.of(new Demand(8, INTERACTIVE), new Demand(8, INTERACTIVE), new Demand(8, INTERACTIVE)),
                        8,
                        0))
                .containsExactly(3, 3, 2);
    }

    @Test
    void beyondOneSlotEachTheNewestWait() {
        assertThat(FairShare.allocate(
                        List.of(new Demand(4, INTERACTIVE), new Demand(4, INTERACTIVE), new Demand(4, INTERACTIVE)),
                        2,
                        0))
                .containsExactly(1, 1, 0);
    }

    @Test
    void backgroundJobsKeepTheirReserveAndTakeWhatIsIdle() {
        List<Demand> both = List.of(new Demand(16, BACKGROUND), new Demand(16, INTERACTIVE));
        assertThat(FairShare.allocate(both, 16, 4)).containsExactly(4, 12);
        // Interactive traffic needs little: background takes the rest.
        assertThat(FairShare.allocate(List.of(new Demand(16, BACKGROUND), new Demand(3, INTERACTIVE)), 16, 4))
                .containsExactly(13, 3);
        // No background work: interactive requests take the whole batch.
        assertThat(FairShare.allocate(List.of(new Demand(16, INTERACTIVE)), 16, 4))
                .containsExactly(16);
        // No reserve: background only gets what interactive traffic leaves.
        assertThat(FairShare.allocate(both, 16, 0)).containsExactly(0, 16);
    }
}
