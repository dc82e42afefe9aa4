package dev.ddpm.sampler.registry;

import dev.ddpm.core.storage.StorageUnavailableException;
import dev.ddpm.sampler.config.SamplerConfig;
import dev.ddpm.sampler.engine.ModelRejectedException;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.faulttolerance.Asynchronous;
import org.eclipse.microprofile.faulttolerance.Retry;
import org.jboss.logging.Logger;

import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * At start, each configured model (or every model in the bucket) is loaded as its alias document
 * says (production and the canary's version; a model without a document, its newest version), in
 * the background and retried every few seconds for as long as S3 is away; changes after that arrive
 * through {@code ModelUpdatesConsumer}. Every {@code sampler.aliases-refresh} the documents of the
 * models served are read again, so that a change whose announcement was lost still takes effect.
 */
@ApplicationScoped
public class InitialModels {

    private static final Logger LOG = Logger.getLogger(InitialModels.class);

    private final ModelRegistry registry;
    private final SamplerConfig config;
    private final MissedModelUpdates missed;
    private ScheduledExecutorService refresher;

    public InitialModels(ModelRegistry registry, SamplerConfig config, MissedModelUpdates missed) {
        this.registry = registry;
        this.config = config;
        this.missed = missed;
    }

    void onStart(@Observes StartupEvent event, InitialModels self) {
        self.load().whenComplete((done, error) -> {
            if (error != null) {
                LOG.warnf("loading the initial models gave up: %s", error.getMessage());
            }
        });
        long period = config.aliasesRefresh().toMillis();
        refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "ddpm-aliases-refresh");
            thread.setDaemon(true);
            return thread;
        });
        refresher.scheduleWithFixedDelay(this::refresh, period, period, TimeUnit.MILLISECONDS);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (refresher != null) {
            refresher.shutdownNow();
        }
    }

    /** Loads what is missing; retried (quietly) until the models bucket answers. */
    @Asynchronous
    @Retry(maxRetries = -1, delay = 5, delayUnit = ChronoUnit.SECONDS, maxDuration = 0, jitter = 500)
    public CompletionStage<Void> load() {
        List<String> names = config.models().filter(l -> !l.isEmpty()).orElseGet(registry::storedModels);
        for (String name : names) {
            try {
                if (!registry.current().containsKey(name)
                        && registry.installProduction(name).isEmpty()) {
                    LOG.infof("model %s has no loadable version yet; it loads when one is published", name);
                }
            } catch (StorageUnavailableException e) {
                throw e; // S3 away: the whole scan is tried again
            } catch (ModelRejectedException e) {
                // One model's bad versions must not hold back the others (nor restart the whole scan).
                LOG.warnf("model %s: the versions the bucket names are rejected: %s", name, e.getMessage());
            } catch (RuntimeException e) {
                LOG.warnf("model %s is not loaded: %s", name, e.getMessage());
            }
        }
        return CompletableFuture.completedFuture(null);
    }

    /**
     * Reads the alias documents of the models served (and the configured ones) and applies those
     * newer than what is applied, and serves each model whose update S3 kept from being applied as
     * the bucket says now; a model that fails is logged and tried again next time.
     */
    public void refresh() {
        for (String name : missed.models()) {
            try {
                registry.installProduction(name);
                missed.caughtUp(name);
                LOG.infof("model %s: the update missed while S3 was away is applied", name);
            } catch (ModelRejectedException e) {
                missed.caughtUp(name); // rejected and announced: nothing further to catch up
                LOG.warnf("model %s: the versions the bucket names are rejected: %s", name, e.getMessage());
            } catch (RuntimeException e) {
                LOG.warnf(
                        "model %s: a missed update is still not applied (%s); tried again in %s",
                        name, e.getMessage(), config.aliasesRefresh());
            }
        }
        List<String> names = config.models()
                .filter(l -> !l.isEmpty())
                .map(configured -> Stream.concat(configured.stream(), registry.servedModels().stream())
                        .distinct()
                        .toList())
                .orElseGet(registry::servedModels);
        for (String name : names) {
            try {
                registry.refresh(name);
            } catch (ModelRejectedException e) {
                LOG.warnf("model %s: the versions its alias document names are rejected: %s", name, e.getMessage());
            } catch (RuntimeException e) {
                LOG.warnf(
                        "model %s: its alias document could not be applied (%s); tried again in %s",
                        name, e.getMessage(), config.aliasesRefresh());
            }
        }
    }
}
