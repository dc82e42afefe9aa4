package dev.ddpm.service.error;

import dev.ddpm.core.storage.StorageException;
import dev.ddpm.service.grpc.GrpcProblems;
import io.grpc.Status;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class InternalAddressesTest {

    @Test
    void anObjectStoreFailureSaysWhatFailedNotWhere() {
        Problem problem = ProblemTranslation.of(new StorageException(
                "S3 http://minio.ddpm.svc:9000 ddpm-models/m/v1/manifest.json: get failed: ConnectException: "
                        + "Failed to connect to minio.ddpm.svc/10.0.3.7:9000"));
        assertThat(problem.status()).isEqualTo(503);
        assertThat(problem.detail())
                .isEqualTo("S3 <internal> ddpm-models/m/v1/manifest.json: get failed: ConnectException: "
                        + "Failed to connect to <internal>");
        assertThat(GrpcProblems.status(problem).getStatus().getDescription()).doesNotContain("minio", "10.0.3.7");
    }

    @Test
    void aCalledServiceFailureLosesItsAddressesToo() {
        Problem unreachable = GrpcProblems.problem(Status.UNAVAILABLE
                .withDescription("Unable to resolve host sampler-headless")
                .asRuntimeException());
        assertThat(unreachable.detail()).isEqualTo("Unable to resolve host <internal>");
        Problem refused = GrpcProblems.problem(Status.UNAVAILABLE
                .withDescription("io exception: Connection refused: sampler:8081 (and [fe80::1]:8081)")
                .asRuntimeException());
        assertThat(refused.detail()).isEqualTo("io exception: Connection refused: <internal> (and <internal>)");
    }

    @Test
    void aClientsOwnWordsInARefusalStayButAddressesGo() {
        assertThat(Problem.of(400, "invalid request", "field 'model' was 'a:80'")
                        .detail())
                .isEqualTo("field 'model' was 'a:80'");
        assertThat(Problem.of(404, "not found", "S3 http://127.0.0.1:9000 ddpm-models/x")
                        .detail())
                .isEqualTo("S3 <internal> ddpm-models/x");
    }
}
