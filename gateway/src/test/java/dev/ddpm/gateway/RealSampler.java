package dev.ddpm.gateway;

import dev.ddpm.service.testing.TestOnlySigningKeys;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real sampler-service (its packaged jar from this build) as a separate process on a free port,
 * against the test run's Kafka and S3 server: the gateway's tests talk to it over real gRPC.
 */
public class RealSampler implements QuarkusTestResourceLifecycleManager {

    private static volatile String url;
    private Process process;

    /** The running sampler's HTTP address (its metrics show what it holds). */
    public static String url() {
        return url;
    }

    @Override
    public Map<String, String> start() {
        Path jar = Path.of("..", "sampler-service", "target", "quarkus-app", "quarkus-run.jar")
                .toAbsolutePath()
                .normalize();
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: the gateway's tests run the packaged sampler; "
                    + "build it first (./mvnw verify builds the modules in order)");
        }
        int port = freePort();
        try {
            Path log = Path.of("target", "real-sampler.log");
            Files.createDirectories(log.getParent());
            process = new ProcessBuilder(List.of(
                            Path.of(System.getProperty("java.home"), "bin", "java")
                                    .toString(),
                            "-Xmx1g",
                            "-Dquarkus.http.port=" + port,
                            "-Dsampler.max-batch=8",
                            "-Dddpm.operator.key=test-operator-key",
                            // trusts what the fixtures sign (GaussianModel), as a deployed one trusts its trainer
                            "-Dsampler.signing.trusted-keys=" + TestOnlySigningKeys.PUBLIC_KEY,
                            "-jar",
                            jar.toString()))
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("the sampler exited: " + Files.readString(log));
                }
                if (live(port)) {
                    url = "http://127.0.0.1:" + port;
                    return Map.of("gateway.samplers", "dns:///127.0.0.1:" + port);
                }
                Thread.sleep(300);
            }
            throw new IllegalStateException("the sampler did not come up in 90 s: " + Files.readString(log));
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the sampler: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void stop() {
        if (process != null) {
            process.destroy();
            try {
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    private static boolean live(int port) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/q/health/live")
                    .toURL()
                    .openConnection();
            c.setConnectTimeout(500);
            c.setReadTimeout(1000);
            return c.getResponseCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
