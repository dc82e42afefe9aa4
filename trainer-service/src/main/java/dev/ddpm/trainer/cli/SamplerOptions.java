package dev.ddpm.trainer.cli;

import dev.ddpm.core.diffusion.DdpmVariance;
import dev.ddpm.core.diffusion.Scheduler;
import dev.ddpm.core.diffusion.SchedulerSettings;
import dev.ddpm.core.diffusion.Schedulers;
import dev.ddpm.core.diffusion.TimestepSpacing;
import dev.ddpm.core.events.SamplerKind;
import dev.ddpm.core.model.DiffusionConfig;

import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The {@code --sampler ddim|ddpm|dpm++|unipc|euler|heun --steps N --order 1-3 --spacing
 * linspace|leading|trailing|karras --eta E --variance fixed_small|fixed_large} options of
 * {@code sample-grid} and {@code evaluate}: absent ones take the same defaults as a request to the
 * sampler ({@link Schedulers}).
 */
record SamplerOptions(SamplerKind kind, Integer steps, Integer order, TimestepSpacing spacing, double eta,
                      DdpmVariance variance) {

    static final Set<String> OPTIONS = Set.of("sampler", "steps", "order", "spacing", "eta", "variance");

    /** These options and {@link Guidance#OPTIONS}: what the sampling commands share. */
    static Set<String> withGuidance() {
        Set<String> options = new java.util.HashSet<>(OPTIONS);
        options.addAll(Guidance.OPTIONS);
        return options;
    }

    static SamplerOptions parse(Arguments a, SamplerKind fallback) {
        String[] kinds = Arrays.stream(SamplerKind.values()).map(SamplerKind::wireName).toArray(String[]::new);
        SamplerKind kind = SamplerKind.parse(a.choice("sampler", fallback.wireName(), kinds));
        Integer steps = a.string("steps", null) == null ? null : (int) a.number("steps", 0);
        Integer order = a.string("order", null) == null ? null : (int) a.number("order", 0);
        if (Schedulers.orderProblem(kind, order) != null) {
            throw new Arguments.UsageException("--order is 1, 2 or 3, for --sampler dpm++ or unipc");
        }
        String spacing = a.string("spacing", null);
        TimestepSpacing s = spacing == null ? null : TimestepSpacing.valueOf(a.choice("spacing", spacing, "linspace",
                "leading", "trailing", "karras").toUpperCase(Locale.ROOT));
        // Ho et al. 2020 (section 3.2): beta~_t is optimal for a deterministic x_0, beta_t for x_0 ~ N(0, I);
        // the sampler-service offers both, so both can be measured.
        DdpmVariance variance = DdpmVariance.byName(a.choice("variance", DdpmVariance.FIXED_SMALL.wireName(),
                DdpmVariance.wireNames()));
        return new SamplerOptions(kind, steps, order, s, a.decimal("eta", 0), variance);
    }

    /** A fresh scheduler per image, as the sampler-service makes them. */
    Supplier<Scheduler> schedulers(DiffusionConfig diffusion) {
        SchedulerSettings settings = SchedulerSettings.of(kind).withSteps(steps).withEta(eta).withVariance(variance)
                .withOrder(order).withSpacing(spacing);
        return () -> Schedulers.create(diffusion, settings);
    }

    /** "dpm++ 20 steps, order 2, linspace (20 evaluations)" and the like. */
    String description(DiffusionConfig diffusion) {
        int n = Schedulers.steps(kind, steps, diffusion.timesteps());
        String details = switch (kind) {
            case DDPM -> ", " + variance.wireName();
            case DDIM -> ", eta " + eta;
            case DPM_SOLVER_PP, UNIPC -> ", order " + (order == null ? Schedulers.DEFAULT_ORDER : order);
            default -> "";
        };
        TimestepSpacing shown = spacing == null ? Schedulers.defaultSpacing(kind) : spacing;
        return kind.wireName() + " " + n + " steps" + details + ", " + shown.name().toLowerCase(Locale.ROOT) + " ("
                + Schedulers.evaluations(kind, n) + " evaluations)";
    }
}
