package dev.ddpm.sampler.health;

import dev.ddpm.sampler.batching.StepBatcher;
import dev.ddpm.sampler.batching.TurnGap;
import dev.ddpm.sampler.config.LivenessConfig;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;

import java.util.Locale;

/**
 * Live while the step batcher's loop runs and, when it holds requests, completes turns: a loop that
 * died, or one wedged in a turn (a listener or a network call that never returns), serves nobody
 * while the sampler keeps admitting, so the orchestrator should restart it.
 */
@Liveness
@ApplicationScoped
public class StepBatcherLivenessCheck implements HealthCheck {

    static final String NAME = "step-batcher";

    private final StepBatcher batcher;
    private final LivenessConfig config;

    public StepBatcherLivenessCheck(StepBatcher batcher, LivenessConfig config) {
        this.batcher = batcher;
        this.config = config;
    }

    @Override
    public HealthCheckResponse call() {
        TurnGap gap = batcher.turnGap();
        double seconds = gap.sinceLastTurn().toMillis() / 1000.0;
        double bound = config.maxTurnGap().toMillis() / 1000.0;
        HealthCheckResponseBuilder response = HealthCheckResponse.named(NAME)
                .withData("heldRequests", gap.heldRequests())
                .withData("secondsSinceLastTurn", String.format(Locale.ROOT, "%.1f", seconds))
                .withData("maxTurnGapSeconds", String.format(Locale.ROOT, "%.1f", bound));
        if (!gap.loopRunning()) {
            return response.down()
                    .withData("reason", "the step batcher's loop thread is not running")
                    .build();
        }
        if (gap.sinceLastTurn().compareTo(config.maxTurnGap()) > 0) {
            return response.down()
                    .withData(
                            "reason",
                            String.format(
                                    Locale.ROOT,
                                    "the step batcher holds %d requests and has not completed a turn for %.1f s,"
                                            + " longer than sampler.liveness.max-turn-gap (%.1f s)",
                                    gap.heldRequests(),
                                    seconds,
                                    bound))
                    .build();
        }
        return response.up().build();
    }
}
