package dev.ddpm.gateway.client;

import com.google.protobuf.ByteString;
import dev.ddpm.proto.common.v1.Preview;
import dev.ddpm.proto.common.v1.Progress;
import dev.ddpm.proto.common.v1.SampleEvent;
import dev.ddpm.proto.common.v1.SampleResult;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PendingEventsTest {

    private static SampleEvent progress(int step) {
        return SampleEvent.newBuilder()
                .setProgress(Progress.newBuilder().setStep(step).setTotalSteps(100))
                .build();
    }

    private static SampleEvent preview(int step, int index) {
        return SampleEvent.newBuilder()
                .setPreview(
                        Preview.newBuilder().setStep(step).setIndex(index).setPng(ByteString.copyFrom(new byte[1000])))
                .build();
    }

    private static List<SampleEvent> drain(PendingEvents pending) {
        List<SampleEvent> out = new ArrayList<>();
        for (SampleEvent e; (e = pending.next()) != null; ) {
            out.add(e);
        }
        return out;
    }

    @Test
    void anUnreadStreamKeepsTheNewestProgressAndOnePreviewPerImageAndTheResult() {
        PendingEvents pending = new PendingEvents();
        for (int step = 1; step <= 100; step++) {
            pending.add(progress(step));
            for (int index = 0; index < 4; index++) {
                pending.add(preview(step, index));
            }
        }
        SampleEvent result = SampleEvent.newBuilder()
                .setResult(SampleResult.getDefaultInstance())
                .build();
        pending.add(result);

        List<SampleEvent> delivered = drain(pending);

        assertThat(delivered).hasSize(1 + 4 + 1);
        assertThat(delivered.get(0).getProgress().getStep()).isEqualTo(100);
        assertThat(delivered.subList(1, 5))
                .allSatisfy(e -> assertThat(e.getPreview().getStep()).isEqualTo(100))
                .extracting(e -> e.getPreview().getIndex())
                .containsExactly(0, 1, 2, 3);
        assertThat(delivered.get(5)).isSameAs(result);
        assertThat(pending.superseded()).isEqualTo(99 + 99 * 4);
        assertThat(pending.isEmpty()).isTrue();
    }

    @Test
    void aClientThatKeepsUpGetsEveryEventInOrder() {
        PendingEvents pending = new PendingEvents();
        List<SampleEvent> delivered = new ArrayList<>();
        for (int step = 1; step <= 3; step++) {
            pending.add(progress(step));
            delivered.addAll(drain(pending));
            pending.add(preview(step, 0));
            delivered.addAll(drain(pending));
        }
        assertThat(delivered).hasSize(6);
        assertThat(pending.superseded()).isZero();
    }
}
