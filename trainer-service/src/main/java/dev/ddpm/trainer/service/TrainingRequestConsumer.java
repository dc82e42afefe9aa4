package dev.ddpm.trainer.service;

import dev.ddpm.core.events.Topic;
import dev.ddpm.core.events.TrainingRequested;
import dev.ddpm.core.messaging.KafkaSettings;
import dev.ddpm.core.messaging.ProcessedEvents;
import dev.ddpm.core.messaging.ReceivedEvent;
import dev.ddpm.service.client.BackgroundConsumer;
import dev.ddpm.trainer.config.TrainerConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Takes TrainingRequested events from {@code ddpm.training-requests}, one run at a time per
 * trainer; replicas share the consumer group. While a run trains, the consumer keeps polling with
 * its partitions paused, so the group does not evict it however long the run takes, and the
 * request's offset is committed only when the run has ended. Duplicates (the same event again, or a
 * run whose last checkpoint is already at its final step) start nothing; a malformed record is
 * logged with its coordinates and committed past.
 */
@Singleton
public class TrainingRequestConsumer extends BackgroundConsumer {

    private static final Logger LOG = Logger.getLogger(TrainingRequestConsumer.class);

    private final TrainerConfig config;
    private final KafkaSettings kafka;
    private final TrainingService training;
    private final ProcessedEvents processed = new ProcessedEvents(10_000);
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> new Thread(r, "ddpm-training-run"));

    public TrainingRequestConsumer(TrainerConfig config, KafkaSettings kafka, TrainingService training) {
        super("ddpm-training-requests");
        this.config = config;
        this.kafka = kafka;
        this.training = training;
    }

    void onStart(@Observes StartupEvent event) {
        if (!config.consumeRequests()) {
            LOG.info("not consuming training requests (trainer.consume-requests=false)");
            return;
        }
        start(kafka.consumer(), Topic.TRAINING_REQUESTS.topicName());
    }

    void onStop(@Observes ShutdownEvent event) {
        worker.shutdown();
        stop();
    }

    @Override
    protected boolean handle(KafkaConsumer<String, byte[]> c, ConsumerRecords<String, byte[]> records) {
        for (ConsumerRecord<String, byte[]> record : records) {
            if (!running() || !handle(c, record)) {
                return false; // stopped mid-run: leave the request uncommitted, a trainer resumes it
            }
            c.commitSync(Map.of(new TopicPartition(record.topic(), record.partition()),
                    new OffsetAndMetadata(record.offset() + 1)));
        }
        return true;
    }

    /** @return whether the record is dealt with (false when shutdown interrupted its run) */
    private boolean handle(KafkaConsumer<String, byte[]> c, ConsumerRecord<String, byte[]> record) {
        ReceivedEvent received = ReceivedEvent.of(record);
        if (!received.valid()) {
            LOG.warnf("skipping malformed record %s: %s", received.coordinates(), received.rejection());
            return true;
        }
        if (!(received.event().data() instanceof TrainingRequested request)) {
            LOG.warnf("skipping %s at %s: not a training request", received.event().type(), received.coordinates());
            return true;
        }
        if (!processed.firstTime(received.event())) {
            LOG.infof("run %s: duplicate request %s ignored", request.runId(), received.event().id());
            return true;
        }
        if (training.ended(request.runId(), request.config().steps())) {
            LOG.infof("run %s has already ended (its newest checkpoint is its last); request ignored", request.runId());
            return true;
        }
        LOG.infof("run %s requested (%s): training %s on %s", request.runId(), received.coordinates(),
                request.config().modelName(), request.dataset());
        CompletableFuture<Void> run = CompletableFuture.runAsync(() -> training.run(request, () -> !running()), worker);
        pollPausedUntilDone(c, run);
        run.join();
        return running();
    }
}
