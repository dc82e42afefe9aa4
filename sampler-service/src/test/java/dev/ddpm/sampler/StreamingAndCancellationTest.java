package dev.ddpm.sampler;

import dev.ddpm.proto.common.v1.ModelRef;
import dev.ddpm.proto.common.v1.OutputFormat;
import dev.ddpm.proto.common.v1.SampleEvent;
import dev.ddpm.proto.common.v1.SampleParams;
import dev.ddpm.proto.common.v1.Sampler;
import dev.ddpm.proto.sampler.v1.SampleRequest;
import dev.ddpm.proto.sampler.v1.SamplerServiceGrpc;
import dev.ddpm.service.testing.GaussianModel;
import io.grpc.Context;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A request in flight: progress and previews stream before the result, and a caller that
 * cancels (gRPC) or hangs up (REST) frees its slots at the next step.
 */
@QuarkusTest
class StreamingAndCancellationTest extends SamplerTestBase {

    @Test
    void cancellingFreesTheSlotsAtTheNextStep() {
        GaussianModel model =
                publish(new GaussianModel(name("cancel"), "v1", GaussianModel.pattern(3, 64, 0), 0.3, 3, 64));
        Context.CancellableContext context = Context.current().withCancellation();
        AtomicInteger steps = new AtomicInteger();
        context.run(() -> {
            Iterator<SampleEvent> stream = SamplerServiceGrpc.newBlockingStub(channel)
                    .sample(request(model.name(), 1, 8, Sampler.SAMPLER_DDPM, 1000));
            while (stream.hasNext() && steps.get() < 3) {
                SampleEvent event = stream.next();
                if (event.hasProgress() && event.getProgress().getStep() > 0) {
                    steps.set(event.getProgress().getStep());
                }
            }
        });
        assertThat(batcher.activeRequests()).isEqualTo(1);
        context.cancel(null);
        await().atMost(Duration.ofSeconds(5)).until(() -> batcher.activeRequests() == 0);
        assertThat(registry.current().get(model.name()).activeLeases()).isZero();
    }

    @Test
    void aRestClientThatDisconnectsFreesItsSlotsAtTheNextStep() throws Exception {
        GaussianModel model =
                publish(new GaussianModel(name("hangup"), "v1", GaussianModel.pattern(3, 64, 0), 0.3, 3, 64));
        String body = "{\"model\":\"" + model.name() + "\",\"count\":8,\"sampler\":\"ddpm\",\"output\":\"grid\"}";
        try (Socket socket = new Socket("localhost", RestAssured.port)) {
            socket.getOutputStream()
                    .write(("POST /v1/samples HTTP/1.1\r\nHost: localhost\r\nX-Operator-Key: " + OPERATOR_KEY
                                    + "\r\nContent-Type: application/json\r\n"
                                    + "Content-Length: " + body.length() + "\r\n\r\n" + body)
                            .getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().flush();
            await().atMost(Duration.ofSeconds(10)).until(() -> batcher.activeRequests() == 1);
        }
        await().atMost(Duration.ofSeconds(5))
                .until(() -> batcher.activeRequests() == 0 && batcher.backlogEvaluations() == 0);
        assertThat(registry.current().get(model.name()).activeLeases()).isZero();
    }

    @Test
    void progressAndPreviewsStreamBeforeTheResult() throws IOException {
        GaussianModel model =
                publish(new GaussianModel(name("stream"), "v1", GaussianModel.pattern(1, 16, 3), 0.3, 1, 16));
        SampleRequest request = SampleRequest.newBuilder()
                .setParams(SampleParams.newBuilder()
                        .setModel(ModelRef.newBuilder().setName(model.name()))
                        .setCount(2)
                        .setSampler(Sampler.SAMPLER_DDIM)
                        .setSteps(20)
                        .setPreviewEvery(5)
                        .setOutput(OutputFormat.OUTPUT_FORMAT_GRID))
                .build();
        List<Integer> steps = new ArrayList<>();
        List<Integer> previewSteps = new ArrayList<>();
        SampleEvent last = null;
        for (Iterator<SampleEvent> it =
                        SamplerServiceGrpc.newBlockingStub(channel).sample(request);
                it.hasNext(); ) {
            last = it.next();
            if (last.hasProgress() && last.getProgress().getQueuePosition() == 0) {
                steps.add(last.getProgress().getStep());
                assertThat(last.getProgress().getTotalSteps()).isEqualTo(20);
            } else if (last.hasPreview()) {
                previewSteps.add(last.getPreview().getStep());
                assertThat(ImageIO.read(new ByteArrayInputStream(
                                        last.getPreview().getPng().toByteArray()))
                                .getWidth())
                        .isEqualTo(16);
            }
        }
        assertThat(steps)
                .containsExactlyElementsOf(IntStream.rangeClosed(1, 20).boxed().toList());
        // the newest preview of each image wins while the encoder is busy, so one may be passed by
        assertThat(previewSteps).isNotEmpty().allMatch(step -> step == 5 || step == 10 || step == 15);
        assertThat(previewSteps).hasSizeLessThanOrEqualTo(6);
        assertThat(last.hasResult()).isTrue();
        assertThat(last.getResult().getModel().getVersion()).isEqualTo("v1");
        BufferedImage grid = ImageIO.read(
                new ByteArrayInputStream(last.getResult().getImages(0).getData().toByteArray()));
        assertThat(grid.getWidth()).isEqualTo(2 * 16 + 3 * 2);
    }
}
