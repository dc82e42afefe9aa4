package dev.ddpm.trainer.service;

import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.EventCodec;
import dev.ddpm.core.events.Topic;
import dev.ddpm.core.messaging.EventPublisher;
import dev.ddpm.core.messaging.KafkaSettings;
import dev.ddpm.core.testing.TestStack;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeader;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A training-requests topic of one partition and a consumer group for the trainer under test alone,
 * created for the test class and deleted after it. A test whose run would train for long must not
 * put it on {@code ddpm.training-requests}: any trainer that shares the broker and the group (another
 * test run, a local stack) could take the request, and one left unacknowledged would be resumed by
 * whichever trainer joins the group next. The service reads its requests and its cancels here; a
 * test finds the names in the configuration ({@link #TOPIC_PROPERTY}, {@link #GROUP_PROPERTY}).
 */
public class PrivateRequestsTopic implements QuarkusTestResourceLifecycleManager {

    static final String TOPIC_PROPERTY = "mp.messaging.incoming.training-requests.topic";
    static final String GROUP_PROPERTY = "mp.messaging.incoming.training-requests.group.id";

    private String topic;
    private String group;

    @Override
    public Map<String, String> start() {
        topic = "test.training-requests." + UUID.randomUUID();
        group = "test-trainer-" + topic;
        try (Admin admin = Admin.create(kafka().admin())) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create the test's topic " + topic, e);
        }
        return Map.of(
                TOPIC_PROPERTY, topic, GROUP_PROPERTY, group, "mp.messaging.incoming.training-cancels.topic", topic);
    }

    @Override
    public void stop() {
        try (Admin admin = Admin.create(kafka().admin())) {
            admin.deleteConsumerGroups(List.of(group)).all().get(30, TimeUnit.SECONDS);
            admin.deleteTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            // a leftover topic of a test costs nothing but its name
        }
    }

    /** Sends {@code event} (a request or a cancel) to {@code topic}, as EventPublisher sends it to its own. */
    static RecordMetadata send(String topic, CloudEvent<?> event) throws Exception {
        if (event.topic() != Topic.TRAINING_REQUESTS) {
            throw new IllegalArgumentException(event.type() + " does not travel with training requests");
        }
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka().producer())) {
            return producer.send(new ProducerRecord<>(
                            topic,
                            null,
                            event.data().partitionKey(),
                            EventCodec.encode(event),
                            List.of(new RecordHeader(
                                    EventPublisher.CONTENT_TYPE_HEADER,
                                    EventCodec.CONTENT_TYPE.getBytes(StandardCharsets.UTF_8)))))
                    .get(30, TimeUnit.SECONDS);
        }
    }

    static KafkaSettings kafka() {
        return TestStack.kafka("cancel-test");
    }
}
