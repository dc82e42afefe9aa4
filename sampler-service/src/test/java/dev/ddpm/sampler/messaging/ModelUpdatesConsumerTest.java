package dev.ddpm.sampler.messaging;

import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.EventCodec;
import dev.ddpm.core.events.ModelPublished;
import dev.ddpm.core.lifecycle.ModelAliases;
import dev.ddpm.core.messaging.EventPublisher;
import dev.ddpm.core.storage.StorageException;
import dev.ddpm.sampler.config.SamplerConfig;
import dev.ddpm.sampler.engine.LoadedModel;
import dev.ddpm.sampler.registry.InitialModels;
import dev.ddpm.sampler.registry.MissedModelUpdates;
import dev.ddpm.sampler.registry.ModelRegistry;
import dev.ddpm.service.messaging.DeadLetters;
import dev.ddpm.service.testing.TestOnlySigningKeys;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A model update that meets S3 away beyond its retries is not dead-lettered: its record is
 * acknowledged and the periodic alias refresh serves the model as the bucket says once S3 answers.
 * (The {@code @Retry} of {@link ModelUpdateAttempts} needs CDI; here each update is one attempt.)
 */
class ModelUpdatesConsumerTest {

    private static final SamplerConfig.Sessions SESSIONS = new SamplerConfig.Sessions() {
        @Override
        public int maxOpen() {
            return 8;
        }

        @Override
        public int loadsPerCallerPerMinute() {
            return 0;
        }
    };

    private static final SamplerConfig.Signing SIGNING = new SamplerConfig.Signing() {
        @Override
        public boolean required() {
            return true;
        }

        @Override
        public Optional<List<String>> trustedKeys() {
            return Optional.of(List.of(TestOnlySigningKeys.PUBLIC_KEY));
        }

        @Override
        public Optional<List<java.nio.file.Path>> trustedKeyFiles() {
            return Optional.empty();
        }
    };

    private static final SamplerConfig CONFIG = (SamplerConfig) Proxy.newProxyInstance(
            SamplerConfig.class.getClassLoader(),
            new Class<?>[] {SamplerConfig.class},
            (proxy, method, args) -> switch (method.getName()) {
                case "maxPinnedVersions" -> 4;
                case "followPublications" -> true;
                case "models" -> Optional.empty();
                case "aliasesRefresh" -> Duration.ofSeconds(30);
                case "sessions" -> SESSIONS;
                case "signing" -> SIGNING;
                case "retryAfter" -> Duration.ofSeconds(1);
                default -> throw new UnsupportedOperationException(method.getName());
            });

    @Test
    void aPublicationMetWhileS3IsAwayIsAppliedByTheNextRefreshInsteadOfBeingDeadLettered() {
        Registry registry = new Registry();
        MissedModelUpdates missed = new MissedModelUpdates();
        ModelUpdatesConsumer consumer = new ModelUpdatesConsumer(
                registry, CONFIG, new DeadLetters(new SimpleMeterRegistry()), new ModelUpdateAttempts(), missed);
        AtomicInteger acks = new AtomicInteger();
        List<Throwable> nacks = new CopyOnWriteArrayList<>();

        consumer.onRecord(record(new ModelPublished("digits", "v2", "digits/v2/manifest.json", "ab".repeat(32)))
                .withAck(() -> {
                    acks.incrementAndGet();
                    return CompletableFuture.completedFuture(null);
                })
                .withNack(e -> {
                    nacks.add(e);
                    return CompletableFuture.completedFuture(null);
                }));

        assertThat(nacks).as("not dead-lettered").isEmpty();
        assertThat(acks).hasValue(1);
        assertThat(missed.models()).containsExactly("digits");

        InitialModels refresh = new InitialModels(registry, CONFIG, missed);
        refresh.refresh();
        assertThat(registry.served).as("S3 still away: nothing served yet").isEmpty();
        assertThat(missed.models()).containsExactly("digits");

        registry.s3Away = false;
        refresh.refresh();
        assertThat(registry.served).containsExactly("digits");
        assertThat(missed.models()).isEmpty();
    }

    private static Message<byte[]> record(ModelPublished published) {
        CloudEvent<?> event = CloudEvent.of("/tests", published);
        RecordHeaders headers = new RecordHeaders(List.of(new RecordHeader(
                EventPublisher.CONTENT_TYPE_HEADER, EventCodec.CONTENT_TYPE.getBytes(StandardCharsets.UTF_8))));
        byte[] value = EventCodec.encode(event);
        ConsumerRecord<String, byte[]> record = new ConsumerRecord<>(
                event.topic().topicName(),
                0,
                0L,
                0L,
                TimestampType.CREATE_TIME,
                0,
                value.length,
                published.partitionKey(),
                value,
                headers,
                Optional.empty());
        return Message.of(value, Metadata.of(new IncomingKafkaRecordMetadata<>(record, ModelUpdatesConsumer.CHANNEL)));
    }

    /** The registry's reads of the models bucket, failing while S3 is away. */
    static final class Registry extends ModelRegistry {
        volatile boolean s3Away = true;
        final List<String> served = new CopyOnWriteArrayList<>();

        Registry() {
            super(null, null, null, new SimpleMeterRegistry(), CONFIG);
        }

        @Override
        public Optional<ModelAliases> storedAliases(String name) {
            throw away();
        }

        @Override
        public Optional<LoadedModel> installProduction(String name) {
            if (s3Away) {
                throw away();
            }
            served.add(name);
            return Optional.empty();
        }

        @Override
        public List<String> servedModels() {
            return List.of();
        }

        private static StorageException away() {
            return new StorageException("s3 at http://127.0.0.1:1: connection refused");
        }
    }
}
