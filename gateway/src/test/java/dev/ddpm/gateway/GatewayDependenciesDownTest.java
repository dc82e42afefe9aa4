package dev.ddpm.gateway;

import dev.ddpm.service.testing.DependenciesDown;
import dev.ddpm.service.testing.DependenciesDownTest;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

@QuarkusTest
@TestProfile(DependenciesDown.class)
class GatewayDependenciesDownTest extends DependenciesDownTest {
}
