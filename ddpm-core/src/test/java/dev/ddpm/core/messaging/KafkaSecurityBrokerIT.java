package dev.ddpm.core.messaging;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What Kubernetes runs, on one host: a real broker (the local stack's Kafka jars) with a SASL_SSL
 * listener taking SCRAM-SHA-512 logins and ACLs enforced, and a client configured only through
 * {@link KafkaSecurity}: its credentials log in, the CA file (PEM) verifies the broker, and its ACLs
 * let it write one topic and not another.
 */
class KafkaSecurityBrokerIT {

    private static final String PASSWORD = "gateway-secret";
    private static Path dir;
    private static Process broker;
    private static int saslPort;
    private static Path ca;

    @BeforeAll
    static void startBroker() throws Exception {
        Path libs = kafkaLibs();
        dir = Files.createTempDirectory("ddpm-scram-broker");
        ca = dir.resolve("ca.crt");
        Path keystore = dir.resolve("broker.p12");
        // A self-signed certificate for 127.0.0.1, its PEM copy the clients' truststore (Strimzi's cluster CA).
        run(List.of(
                "keytool",
                "-genkeypair",
                "-alias",
                "broker",
                "-keyalg",
                "RSA",
                "-keysize",
                "2048",
                "-dname",
                "CN=localhost",
                "-ext",
                "SAN=IP:127.0.0.1,DNS:localhost",
                "-validity",
                "2",
                "-keystore",
                keystore.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                "changeit"));
        run(List.of(
                "keytool",
                "-exportcert",
                "-rfc",
                "-alias",
                "broker",
                "-keystore",
                keystore.toString(),
                "-storepass",
                "changeit",
                "-file",
                ca.toString()));
        saslPort = freePort();
        int internalPort = freePort();
        int controllerPort = freePort();
        Path config = dir.resolve("server.properties");
        Files.writeString(
                config,
                String.join(
                        "\n",
                        "process.roles=broker,controller",
                        "node.id=1",
                        "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
                        "listeners=CLIENTS://127.0.0.1:" + saslPort + ",INTERNAL://127.0.0.1:" + internalPort
                                + ",CONTROLLER://127.0.0.1:" + controllerPort,
                        "advertised.listeners=CLIENTS://127.0.0.1:" + saslPort + ",INTERNAL://127.0.0.1:"
                                + internalPort,
                        "controller.listener.names=CONTROLLER",
                        "inter.broker.listener.name=INTERNAL",
                        "listener.security.protocol.map=CLIENTS:SASL_SSL,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT",
                        "sasl.enabled.mechanisms=SCRAM-SHA-512",
                        "listener.name.clients.scram-sha-512.sasl.jaas.config="
                                + "org.apache.kafka.common.security.scram.ScramLoginModule required;",
                        "ssl.keystore.location=" + keystore,
                        "ssl.keystore.type=PKCS12",
                        "ssl.keystore.password=changeit",
                        "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                        // The broker's own loopback listeners (PLAINTEXT, ANONYMOUS) and the test's admin user.
                        "super.users=User:ANONYMOUS;User:admin",
                        "log.dirs=" + dir.resolve("data"),
                        "auto.create.topics.enable=false",
                        "offsets.topic.replication.factor=1",
                        "transaction.state.log.replication.factor=1",
                        "transaction.state.log.min.isr=1",
                        "share.coordinator.state.topic.replication.factor=1",
                        "share.coordinator.state.topic.min.isr=1",
                        "group.initial.rebalance.delay.ms=0",
                        ""));
        String classpath = libs.resolve("*").toString();
        run(List.of(
                java(),
                "-cp",
                classpath,
                "kafka.tools.StorageTool",
                "format",
                "-t",
                Uuid.randomUuid().toString(),
                "-c",
                config.toString(),
                "--add-scram",
                "SCRAM-SHA-512=[name=gateway,password=" + PASSWORD + "]",
                "--add-scram",
                "SCRAM-SHA-512=[name=admin,password=admin-secret]"));
        broker = new ProcessBuilder(
                        java(),
                        "-Xmx384m",
                        "-Dkafka.logs.dir=" + dir.resolve("logs"),
                        "-cp",
                        classpath,
                        "kafka.Kafka",
                        config.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("broker.log").toFile())
                .start();
        try (Admin admin = Admin.create(client("admin", "admin-secret").admin())) {
            awaitStarted(admin);
            admin.createTopics(List.of(new NewTopic("allowed", 1, (short) 1), new NewTopic("forbidden", 1, (short) 1)))
                    .all()
                    .get(60, TimeUnit.SECONDS);
            ResourcePattern allowed = new ResourcePattern(ResourceType.TOPIC, "allowed", PatternType.LITERAL);
            admin.createAcls(List.of(grant(allowed, AclOperation.WRITE), grant(allowed, AclOperation.DESCRIBE)))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
    }

    /** Until the broker answers a logged-in admin (each try gives up after the admin's own timeout). */
    private static void awaitStarted(Admin admin) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true) {
            try {
                admin.describeCluster().clusterId().get(15, TimeUnit.SECONDS);
                return;
            } catch (ExecutionException | TimeoutException e) {
                if (!broker.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "the SCRAM broker did not start: " + Files.readString(dir.resolve("broker.log")), e);
                }
            }
        }
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (broker != null) {
            broker.destroy();
            if (!broker.waitFor(20, TimeUnit.SECONDS)) {
                broker.destroyForcibly().waitFor();
            }
        }
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder())
                        .forEach(path -> path.toFile().delete());
            }
        }
    }

    @Test
    void theServiceUserWritesItsTopicAndNoOther() throws Exception {
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(client("gateway", PASSWORD).producer())) {
            assertThat(producer.send(new ProducerRecord<>("allowed", "k", new byte[] {1}))
                            .get(30, TimeUnit.SECONDS)
                            .topic())
                    .isEqualTo("allowed");
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("forbidden", "k", new byte[] {1}))
                            .get(30, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(TopicAuthorizationException.class);
        }
    }

    @Test
    void aWrongPasswordIsRefused() {
        Map<String, Object> config = client("gateway", "not-the-password").admin();
        try (Admin admin = Admin.create(config)) {
            assertThatThrownBy(() -> admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(SaslAuthenticationException.class);
        }
    }

    /** A client whose every setting comes from {@link KafkaSecurity}, as the services' do. */
    private static KafkaSettings client(String user, String password) {
        String jaas = "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                + "\" password=\"" + password + "\";";
        KafkaSecurity security = new KafkaSecurity("SASL_SSL", "SCRAM-SHA-512", jaas, "PEM", ca.toString());
        return new KafkaSettings("127.0.0.1:" + saslPort, "scram-test", security);
    }

    private static AclBinding grant(ResourcePattern pattern, AclOperation operation) {
        return new AclBinding(pattern, new AccessControlEntry("User:gateway", "*", operation, AclPermissionType.ALLOW));
    }

    /** The broker jars the local stack runs (deploy/local/stack.sh fetches them into its libs folder). */
    private static Path kafkaLibs() {
        String configured = System.getenv("DDPM_LIBS_DIR");
        Path libs = (configured == null || configured.isBlank()
                        ? Path.of("").toAbsolutePath().getParent().resolve(".run/libs")
                        : Path.of(configured))
                .resolve("kafka");
        if (!Files.isDirectory(libs)) {
            throw new IllegalStateException("no Kafka broker jars in " + libs
                    + ": start the local stack once (deploy/local/stack.sh start kafka) or set DDPM_LIBS_DIR");
        }
        return libs;
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Path log = Files.createTempFile(dir, "command", ".log");
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IllegalStateException(command.get(0) + " failed: " + Files.readString(log));
        }
    }
}
