package dev.ddpm.gateway;

import dev.ddpm.service.testing.DependenciesDown;
import dev.ddpm.service.testing.DependenciesDownTest;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

@QuarkusTest
@TestProfile(DependenciesDown.class)
class GatewayDependenciesDownTest extends DependenciesDownTest {

    @Override
    protected io.restassured.specification.RequestSpecification operator() {
        return io.restassured.RestAssured.given().header("X-API-Key", "test-key-admin");
    }
}
