package dev.ddpm.gateway.service;

import dev.ddpm.core.events.EventData;
import dev.ddpm.core.events.SampleJobCompleted;
import dev.ddpm.core.events.SampleJobFailed;
import dev.ddpm.core.events.Topic;
import dev.ddpm.core.messaging.KafkaSettings;
import dev.ddpm.core.messaging.ReceivedEvent;
import dev.ddpm.service.client.BackgroundConsumer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;

import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/** Outcomes of asynchronous sampling jobs, folded from {@code ddpm.sample-results} (every replica reads all). */
@Singleton
public class SampleJobResults extends BackgroundConsumer {

    private final KafkaSettings kafka;
    private final ConcurrentMap<String, EventData> outcomes = new ConcurrentHashMap<>();

    public SampleJobResults(KafkaSettings kafka) {
        super("ddpm-sample-job-results");
        this.kafka = kafka;
    }

    void onStart(@Observes StartupEvent event) {
        start(kafka.consumer(kafka.consumerGroup() + "-jobs-" + UUID.randomUUID()), Topic.SAMPLE_RESULTS.topicName());
    }

    void onStop(@Observes ShutdownEvent event) {
        stop();
    }

    /** SampleJobCompleted or SampleJobFailed, once the job has ended. */
    public Optional<EventData> outcome(String jobId) {
        return Optional.ofNullable(outcomes.get(jobId));
    }

    @Override
    protected boolean handle(KafkaConsumer<String, byte[]> consumer, ConsumerRecords<String, byte[]> records) {
        for (ConsumerRecord<String, byte[]> record : records) {
            ReceivedEvent received = ReceivedEvent.of(record);
            if (received.valid() && (received.event().data() instanceof SampleJobCompleted c)) {
                outcomes.put(c.jobId(), c);
            } else if (received.valid() && received.event().data() instanceof SampleJobFailed f) {
                outcomes.putIfAbsent(f.jobId(), f);
            }
        }
        return running();
    }
}
