package dev.ddpm.service.health;

import dev.ddpm.core.events.Topic;
import dev.ddpm.core.messaging.KafkaSettings;
import dev.ddpm.core.messaging.TopicProvisioner;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.service.config.ConnectionsConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Follows Kafka and S3 for the whole life of the service: probes both in the background, keeps
 * the last result for the readiness checks (so a probe request never waits on the network), creates
 * the design's topics and buckets on first contact, and logs only changes: one line when
 * everything is connected, one line when a dependency goes away, one when it is back.
 */
@Singleton
public class DependencyMonitor {

    private static final Logger LOG = Logger.getLogger(DependencyMonitor.class);
    static final String KAFKA = "kafka";
    static final String S3 = "s3";
    private static final String UNREACHABLE = "unreachable or refusing; operators see why at GET /v1/dependencies";

    private final ConnectionsConfig config;
    private final Admin admin;
    private final ArtifactStore store;
    private final KafkaSettings kafkaSettings;
    private final Map<String, AtomicReference<DependencyStatus>> statuses = new LinkedHashMap<>();
    private final AtomicBoolean announced = new AtomicBoolean();
    private final AtomicBoolean topicsProvisioned = new AtomicBoolean();
    private final AtomicBoolean bucketsProvisioned = new AtomicBoolean();
    private ScheduledExecutorService scheduler;

    public DependencyMonitor(
            ConnectionsConfig config,
            Admin admin,
            ArtifactStore store,
            KafkaSettings kafkaSettings,
            MeterRegistry registry) {
        this.config = config;
        this.admin = admin;
        this.store = store;
        this.kafkaSettings = kafkaSettings;
        statuses.put(KAFKA, new AtomicReference<>(DependencyStatus.unknown(KAFKA, kafkaSettings.bootstrapServers())));
        statuses.put(S3, new AtomicReference<>(DependencyStatus.unknown(S3, store.endpoint())));
        statuses.forEach((name, status) -> Gauge.builder(
                        "ddpm.dependency.up", status, s -> s.get().up() ? 1 : 0)
                .description("1 while the dependency answers the service's probe, else 0")
                .tag("dependency", name)
                .register(registry));
    }

    void onStart(@Observes StartupEvent event) {
        LOG.infof(
                "%s starting; Kafka %s, S3 %s; readiness follows them (probe every %s)",
                config.serviceName(),
                kafkaSettings.bootstrapServers(),
                store.endpoint(),
                config.probe().interval().toMillis() / 1000.0 + " s");
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "ddpm-dependency-monitor");
            thread.setDaemon(true);
            return thread;
        });
        scheduler.scheduleWithFixedDelay(
                this::probeAll, 0, config.probe().interval().toMillis(), TimeUnit.MILLISECONDS);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }

    public DependencyStatus status(String name) {
        return statuses.get(name).get();
    }

    /** Probes both dependencies now; also what the scheduler runs. */
    public void probeAll() {
        try {
            update(probeKafka());
            update(probeS3());
            if (statuses.values().stream().allMatch(s -> s.get().up()) && announced.compareAndSet(false, true)) {
                DependencyStatus kafka = status(KAFKA);
                DependencyStatus s3 = status(S3);
                LOG.infof(
                        "%s connected: Kafka %s (%s), S3 %s (%s)",
                        config.serviceName(), kafka.address(), kafka.detail(), s3.address(), s3.detail());
            }
        } catch (RuntimeException e) {
            LOG.errorf("dependency probe failed unexpectedly: %s", e.toString());
        }
    }

    private void update(DependencyStatus next) {
        AtomicReference<DependencyStatus> ref = statuses.get(next.name());
        DependencyStatus previous = ref.get();
        if (next.sameStateAs(previous)) {
            return;
        }
        ref.set(next);
        boolean firstProbe = DependencyStatus.NOT_PROBED.equals(previous.detail());
        if (!next.up()) {
            LOG.warnf("%s %s unreachable: %s; not ready until it answers", next.name(), next.address(), next.detail());
        } else if (!firstProbe && !previous.up()) {
            LOG.infof("%s %s reachable again (%s)", next.name(), next.address(), next.detail());
        }
    }

    private DependencyStatus probeKafka() {
        String address = kafkaSettings.bootstrapServers();
        long timeoutMs = config.probe().timeout().toMillis();
        try {
            DescribeClusterResult cluster =
                    admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeoutMs));
            String clusterId = cluster.clusterId().get(timeoutMs + 500, TimeUnit.MILLISECONDS);
            int brokers =
                    cluster.nodes().get(timeoutMs + 500, TimeUnit.MILLISECONDS).size();
            Map<String, String> facts = new LinkedHashMap<>();
            facts.put("clusterId", clusterId);
            facts.put("brokers", String.valueOf(brokers));
            if (config.provisioning().createTopics() && !topicsProvisioned.get()) {
                List<String> created = TopicProvisioner.ensureTopics(
                        admin, config.provisioning().topicReplicationFactor());
                topicsProvisioned.set(true);
                if (!created.isEmpty()) {
                    LOG.infof("created Kafka topics %s", created);
                }
            }
            Set<String> topics = admin.listTopics().names().get(timeoutMs, TimeUnit.MILLISECONDS);
            List<String> missing = Arrays.stream(Topic.values())
                    .map(Topic::topicName)
                    .filter(t -> !topics.contains(t))
                    .toList();
            if (!missing.isEmpty()) {
                String why = "topics missing: " + missing;
                return down(KAFKA, address, why, why, facts);
            }
            return new DependencyStatus(
                    KAFKA,
                    address,
                    true,
                    "connected, topics present",
                    "cluster " + clusterId + ", " + brokers + " broker" + (brokers == 1 ? "" : "s"),
                    Instant.now(),
                    facts);
        } catch (ExecutionException e) {
            return down(KAFKA, address, UNREACHABLE, describe(e.getCause()), Map.of());
        } catch (TimeoutException e) {
            String why = "no answer within " + config.probe().timeout().toMillis() + " ms";
            return down(KAFKA, address, why, why, Map.of());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // shutting down: keep the last known state, log nothing
            return status(KAFKA);
        } catch (RuntimeException e) {
            return down(KAFKA, address, UNREACHABLE, describe(e), Map.of());
        }
    }

    private DependencyStatus probeS3() {
        String address = store.endpoint();
        try {
            List<String> buckets = store.listBuckets();
            if (config.provisioning().createBuckets() && !bucketsProvisioned.get()) {
                List<String> created = store.ensureBuckets(Buckets.ALL);
                bucketsProvisioned.set(true);
                if (!created.isEmpty()) {
                    LOG.infof("created S3 buckets %s", created);
                    buckets = store.listBuckets();
                }
            }
            Set<String> present = new TreeSet<>(buckets);
            List<String> missing = new ArrayList<>(Buckets.ALL);
            missing.removeAll(present);
            if (!missing.isEmpty()) {
                String why = "buckets missing: " + missing;
                return down(S3, address, why, why, Map.of());
            }
            return new DependencyStatus(
                    S3,
                    address,
                    true,
                    "connected, buckets present",
                    "buckets " + String.join(", ", Buckets.ALL),
                    Instant.now(),
                    Map.of("buckets", String.join(",", present)));
        } catch (RuntimeException e) {
            return down(S3, address, UNREACHABLE, e.getMessage(), Map.of());
        }
    }

    /** Every dependency's last probe, for operators. */
    public List<DependencyStatus> statuses() {
        return statuses.values().stream().map(AtomicReference::get).toList();
    }

    private static DependencyStatus down(
            String name, String address, String summary, String detail, Map<String, String> facts) {
        return new DependencyStatus(name, address, false, summary, detail, Instant.now(), facts);
    }

    private static String describe(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t && t.getMessage() == null) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }
}
