package dev.ddpm.trainer.cli;

import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.diffusion.DdpmVariance;
import dev.ddpm.core.diffusion.SamplerKind;
import dev.ddpm.core.diffusion.Scheduler;
import dev.ddpm.core.diffusion.SchedulerSettings;
import dev.ddpm.core.diffusion.Schedulers;
import dev.ddpm.core.diffusion.Thresholding;
import dev.ddpm.core.diffusion.TimestepSpacing;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.model.DiffusionConfig;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The sampler options of {@code sample-grid} and {@code evaluate}: absent ones take the same defaults
 * as a request to the sampler ({@link Schedulers}).
 */
final class SamplerOptions {

    @Spec(Spec.Target.MIXEE)
    private CommandSpec command;

    @Option(
            names = "--sampler",
            paramLabel = "SAMPLER",
            converter = WireNames.Samplers.class,
            completionCandidates = WireNames.Samplers.class,
            description = "${COMPLETION-CANDIDATES} (default: the sampler-service's, unipc)")
    private SamplerKind kind;

    @Option(
            names = "--steps",
            paramLabel = "N",
            description =
                    "sampling steps (default: the sampler's: 50 ddim, T ddpm, 10 heun, 25 dpm++sde, euler-ancestral and sa-solver, 20 the others)")
    private Integer steps;

    @Option(
            names = "--order",
            paramLabel = "1-3",
            description = "solver order of the multistep samplers, dpm++, unipc, dpm++sde and sa-solver (default: 2)")
    private Integer order;

    @Option(
            names = "--spacing",
            paramLabel = "SPACING",
            converter = WireNames.Spacings.class,
            completionCandidates = WireNames.Spacings.class,
            description = "${COMPLETION-CANDIDATES} (default: karras for euler and heun, else linspace)")
    private TimestepSpacing spacing;

    @Option(
            names = "--eta",
            paramLabel = "E",
            defaultValue = "0",
            description = "DDIM's noise share (default: ${DEFAULT-VALUE}, deterministic)")
    private double eta;

    // Ho et al. 2020 (section 3.2): beta~_t is optimal for a deterministic x_0, beta_t for x_0 ~ N(0, I);
    // the sampler-service offers both, so both can be measured.
    @Option(
            names = "--variance",
            paramLabel = "VARIANCE",
            defaultValue = "fixed_small",
            converter = WireNames.Variances.class,
            completionCandidates = WireNames.Variances.class,
            description = "${COMPLETION-CANDIDATES}: DDPM's reverse-step variance (default: ${DEFAULT-VALUE})")
    private DdpmVariance variance;

    @Option(
            names = "--threshold",
            paramLabel = "P",
            description = "dynamic thresholding: each x_0 clamped to the P-th percentile of |x_0| (at least 1) and "
                    + "divided by it, P in (0, 1] (Imagen: 0.995; default: none, x_0 clipped to [-1, 1])")
    private Double threshold;

    /** The sampler asked for, or the sampler-service's default. */
    SamplerKind kind() {
        return kind == null ? SamplingRequest.DEFAULT_SAMPLER : kind;
    }

    TimestepSpacing spacing() {
        return spacing;
    }

    /** Refuses options that do not fit together, before anything is loaded. */
    void check() {
        if (Schedulers.orderProblem(kind(), order) != null) {
            List<String> multistep = Arrays.stream(SamplerKind.values())
                    .filter(SamplerKind::multistep)
                    .map(SamplerKind::wireName)
                    .toList();
            throw new ParameterException(
                    command.commandLine(), "--order is 1, 2 or 3, for --sampler " + Json.alternatives(multistep));
        }
        String thresholdProblem = threshold == null ? null : Thresholding.percentileProblem(threshold);
        if (thresholdProblem != null) {
            throw new ParameterException(command.commandLine(), "--threshold " + thresholdProblem);
        }
    }

    /** A fresh scheduler per image, as the sampler-service makes them. */
    Supplier<Scheduler> schedulers(DiffusionConfig diffusion) {
        SchedulerSettings settings = SchedulerSettings.of(kind())
                .withSteps(steps)
                .withEta(eta)
                .withVariance(variance)
                .withThreshold(threshold)
                .withOrder(order)
                .withSpacing(spacing);
        return () -> Schedulers.create(diffusion, settings);
    }

    /** "dpm++ 20 steps, order 2, linspace (20 evaluations)", "euler-ancestral 20 steps, threshold 0.995, ...". */
    String description(DiffusionConfig diffusion) {
        SamplerKind sampler = kind();
        int n = Schedulers.steps(sampler, steps, diffusion.timesteps());
        String details = switch (sampler) {
            case DDPM -> ", " + variance.wireName();
            case DDIM -> ", eta " + eta;
            default -> sampler.multistep() ? ", order " + (order == null ? Schedulers.DEFAULT_ORDER : order) : "";
        };
        if (threshold != null) {
            details += ", threshold " + threshold;
        }
        TimestepSpacing shown = spacing == null ? Schedulers.defaultSpacing(sampler) : spacing;
        return sampler.wireName() + " " + n + " steps" + details + ", "
                + shown.name().toLowerCase(Locale.ROOT) + " (" + Schedulers.evaluations(sampler, n) + " evaluations)";
    }
}
