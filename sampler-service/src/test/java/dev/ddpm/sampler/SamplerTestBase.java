package dev.ddpm.sampler;

import dev.ddpm.core.messaging.EventPublisher;
import dev.ddpm.core.messaging.KafkaSettings;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.proto.common.v1.ModelRef;
import dev.ddpm.proto.common.v1.OutputFormat;
import dev.ddpm.proto.common.v1.SampleEvent;
import dev.ddpm.proto.common.v1.SampleParams;
import dev.ddpm.proto.common.v1.Sampler;
import dev.ddpm.proto.sampler.v1.SampleRequest;
import dev.ddpm.proto.sampler.v1.SamplerServiceGrpc;
import dev.ddpm.sampler.batching.StepBatcher;
import dev.ddpm.sampler.registry.ModelRegistry;
import dev.ddpm.service.testing.GaussianModel;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * What the sampler's scenario tests share: the service under test with the real broker, the real S3
 * server and real ONNX Runtime (one Quarkus app for all of them, since they share the test profile), a
 * gRPC channel that presents the operator key, and models whose correct output is known in closed form
 * ({@link GaussianModel}), published and awaited until the sampler serves them.
 */
abstract class SamplerTestBase {

    @Inject
    ArtifactStore store;

    @Inject
    EventPublisher events;

    @Inject
    KafkaSettings kafka;

    @Inject
    ModelRegistry registry;

    @Inject
    StepBatcher batcher;

    ManagedChannel channel;

    /** The operator key the test profile configures (ddpm.operator.key); every operator call presents it. */
    static final String OPERATOR_KEY = "test-operator-key";

    @BeforeEach
    void channel() {
        Metadata credentials = new Metadata();
        credentials.put(Metadata.Key.of("x-operator-key", Metadata.ASCII_STRING_MARSHALLER), OPERATOR_KEY);
        channel = ManagedChannelBuilder.forAddress("localhost", RestAssured.port)
                .usePlaintext()
                .intercept(MetadataUtils.newAttachHeadersInterceptor(credentials))
                .build();
    }

    @AfterEach
    void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    /** A request with the operator key, as every operator call carries it. */
    static io.restassured.specification.RequestSpecification given() {
        return RestAssured.given().header("x-operator-key", OPERATOR_KEY);
    }

    GaussianModel publish(GaussianModel model) {
        model.publish(store, events);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> registry.current().containsKey(model.name())
                        && registry.current().get(model.name()).version().equals(model.version()));
        return model;
    }

    static String name(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static SampleRequest request(String model, long seed, int count, Sampler sampler, int steps) {
        return SampleRequest.newBuilder()
                .setRequestId(UUID.randomUUID().toString())
                .setParams(SampleParams.newBuilder()
                        .setModel(ModelRef.newBuilder().setName(model))
                        .setSeed(seed)
                        .setCount(count)
                        .setSampler(sampler)
                        .setSteps(steps)
                        .setOutput(OutputFormat.OUTPUT_FORMAT_PNG)
                        .setClipX0(true))
                .build();
    }

    Iterator<SampleEvent> sample(String model, long seed, int count, Sampler sampler, int steps) {
        return SamplerServiceGrpc.newBlockingStub(channel).sample(request(model, seed, count, sampler, steps));
    }

    static List<byte[]> result(Iterator<SampleEvent> stream) {
        while (stream.hasNext()) {
            SampleEvent event = stream.next();
            if (event.hasResult()) {
                return event.getResult().getImagesList().stream()
                        .map(i -> i.getData().toByteArray())
                        .toList();
            }
        }
        throw new AssertionError("the stream ended without a result");
    }
}
