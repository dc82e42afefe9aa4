package dev.ddpm.core.messaging;

import dev.ddpm.core.events.Topic;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Creates the design's topics with their partitions and cleanup policy (the models topic is
 * compacted). Idempotent: existing topics are left as they are.
 */
public final class TopicProvisioner {

    private TopicProvisioner() {}

    /** @return names of the topics it created */
    public static List<String> ensureTopics(Admin admin, short replicationFactor)
            throws InterruptedException, ExecutionException, TimeoutException {
        Set<String> existing = admin.listTopics().names().get(10, TimeUnit.SECONDS);
        List<NewTopic> missing = Arrays.stream(Topic.values())
                .filter(t -> !existing.contains(t.topicName()))
                .map(t -> new NewTopic(t.topicName(), Optional.of(t.partitions()), Optional.of(replicationFactor))
                        .configs(t.topicConfig()))
                .toList();
        List<String> created = new ArrayList<>();
        for (var entry : admin.createTopics(missing).values().entrySet()) {
            try {
                entry.getValue().get(10, TimeUnit.SECONDS);
                created.add(entry.getKey());
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e; // another replica creating it at the same moment is fine; anything else is not
                }
            }
        }
        return created;
    }
}
