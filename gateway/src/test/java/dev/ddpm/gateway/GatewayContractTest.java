package dev.ddpm.gateway;

import dev.ddpm.service.testing.ServiceContractTest;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
class GatewayContractTest extends ServiceContractTest {
}
