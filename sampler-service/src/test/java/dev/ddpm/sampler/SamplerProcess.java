package dev.ddpm.sampler;

import dev.ddpm.service.testing.TestOnlySigningKeys;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * This module's packaged jar (target/quarkus-app, built by {@code package} before failsafe runs) as a
 * process of its own on a free port, against the test run's broker and S3 server (from the
 * environment), so that a test can signal it as an orchestrator would.
 */
final class SamplerProcess implements AutoCloseable {

    static final String OPERATOR_KEY = "test-operator-key";

    private final Process process;
    private final int port;
    private final Path log;

    private SamplerProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Starts the jar with {@code -D} settings of the test's own and waits until it is ready (a model loaded). */
    static SamplerProcess startReady(String name, List<String> settings) throws IOException, InterruptedException {
        Path jar = Path.of("target", "quarkus-app", "quarkus-run.jar").toAbsolutePath();
        if (!Files.exists(jar)) {
            throw new IllegalStateException(
                    jar + " is missing: this test runs the packaged sampler (./mvnw verify packages it first)");
        }
        int port = freePort();
        Path log = Path.of("target", name + ".log").toAbsolutePath();
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "-Dquarkus.http.port=" + port,
                "-Dddpm.operator.key=" + OPERATOR_KEY,
                // trusts what the fixtures sign, as the test profile does
                "-Dsampler.signing.trusted-keys=" + TestOnlySigningKeys.PUBLIC_KEY));
        command.addAll(settings);
        command.addAll(List.of("-jar", jar.toString()));
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        SamplerProcess sampler = new SamplerProcess(process, port, log);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the sampler exited: " + sampler.log());
            }
            if (status("http://127.0.0.1:" + port + "/q/health/ready") == 200) {
                return sampler;
            }
            Thread.sleep(300);
        }
        sampler.close();
        throw new IllegalStateException("the sampler was not ready in 120 s: " + sampler.log());
    }

    int port() {
        return port;
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    /** SIGTERM, as an orchestrator stops a pod. */
    void terminate() {
        process.destroy();
    }

    boolean awaitExit(long seconds) throws InterruptedException {
        return process.waitFor(seconds, TimeUnit.SECONDS);
    }

    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }

    static int status(String url) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
            c.setConnectTimeout(500);
            c.setReadTimeout(2000);
            return c.getResponseCode();
        } catch (IOException e) {
            return -1;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
