package dev.ddpm.sampler;

import dev.ddpm.service.testing.ServiceContractTest;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
class SamplerServiceContractTest extends ServiceContractTest {
}
