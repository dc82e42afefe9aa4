package dev.ddpm.sampler.registry;

import dev.ddpm.sampler.config.SamplerConfig;
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

/**
 * At start, the newest version of each configured model (or of every model in the bucket) is
 * loaded, in the background and retried every few seconds for as long as S3 is away; publications
 * after that arrive through {@code ModelUpdatesConsumer}.
 */
@ApplicationScoped
public class InitialModels {

    private static final Logger LOG = Logger.getLogger(InitialModels.class);

    private final ModelRegistry registry;
    private final SamplerConfig config;

    public InitialModels(ModelRegistry registry, SamplerConfig config) {
        this.registry = registry;
        this.config = config;
    }

    void onStart(@Observes StartupEvent event, InitialModels self) {
        self.load().whenComplete((done, error) -> {
            if (error != null) {
                LOG.warnf("loading the initial models gave up: %s", error.getMessage());
            }
        });
    }

    /** Loads what is missing; retried (quietly) until the models bucket answers. */
    @Asynchronous
    @Retry(maxRetries = -1, delay = 5, delayUnit = ChronoUnit.SECONDS, maxDuration = 0, jitter = 500)
    public CompletionStage<Void> load() {
        List<String> names = config.models().filter(l -> !l.isEmpty()).orElseGet(registry::storedModels);
        for (String name : names) {
            if (!registry.current().containsKey(name)
                    && registry.installLatest(name).isEmpty()) {
                LOG.infof("model %s has no loadable version yet; it loads when one is published", name);
            }
        }
        return CompletableFuture.completedFuture(null);
    }
}
