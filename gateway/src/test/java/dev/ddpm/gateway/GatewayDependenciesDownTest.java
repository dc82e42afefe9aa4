package dev.ddpm.gateway;

import dev.ddpm.proto.gateway.v1.DdpmServiceGrpc;
import dev.ddpm.proto.gateway.v1.ListDatasetsRequest;
import dev.ddpm.service.testing.DependenciesDown;
import dev.ddpm.service.testing.DependenciesDownTest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

@QuarkusTest
@TestProfile(DependenciesDown.class)
class GatewayDependenciesDownTest extends DependenciesDownTest {

    @Override
    protected io.restassured.specification.RequestSpecification operator() {
        return io.restassured.RestAssured.given().header("X-API-Key", "test-key-admin");
    }

    /** The object store is away (at 127.0.0.1:1): the public answers say so, not where it is. */
    @Test
    void publicFailuresNameNoInternalAddress() throws Exception {
        for (String path : new String[] {"/v1/models", "/v1/datasets"}) {
            String detail = RestAssured.given()
                    .header("X-API-Key", "test-key-trainer")
                    .get(path)
                    .then()
                    .statusCode(503)
                    .contentType("application/problem+json")
                    .extract()
                    .path("detail");
            assertThat(detail).as(path).contains("<internal>").doesNotContain("127.0.0.1", "://");
        }
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", RestAssured.port)
                .usePlaintext()
                .build();
        try {
            Metadata key = new Metadata();
            key.put(Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER), "test-key-trainer");
            StatusRuntimeException refused = catchThrowableOfType(
                    StatusRuntimeException.class,
                    () -> DdpmServiceGrpc.newBlockingStub(channel)
                            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(key))
                            .listDatasets(ListDatasetsRequest.getDefaultInstance()));
            assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(refused.getStatus().getDescription()).doesNotContain("127.0.0.1", "://");
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
