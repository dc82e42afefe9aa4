package dev.ddpm.trainer;

import dev.ddpm.core.events.Topic;
import dev.ddpm.service.testing.ServiceContractTest;
import io.quarkus.test.junit.QuarkusTest;

import java.util.List;

@QuarkusTest
class TrainerServiceContractTest extends ServiceContractTest {

    @Override
    protected List<Topic> consumedTopics() {
        return List.of(Topic.TRAINING_REQUESTS, Topic.DATASETS);
    }
}
