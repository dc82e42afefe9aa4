package dev.ddpm.trainer;

import dev.ddpm.service.testing.ServiceContractTest;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
class TrainerServiceContractTest extends ServiceContractTest {
}
