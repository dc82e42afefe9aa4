package dev.ddpm.core.api;

import dev.ddpm.core.diffusion.TimestepSpacing;
import dev.ddpm.core.events.SamplerKind;

/**
 * The sampler and spacing enums of the gRPC contract (common.proto) by their constant names, so that
 * each service's generated classes map through one place: {@code Sampler.valueOf(ProtoEnums.sampler(kind))},
 * {@code ProtoEnums.samplerKind(p.getSampler().name())}. Unspecified is null, so that the request
 * record ({@link SampleBody}) and the schedulers decide the defaults.
 */
public final class ProtoEnums {

    private static final String SAMPLER = "SAMPLER_";
    private static final String SPACING = "SPACING_";

    private ProtoEnums() {
    }

    /** SAMPLER_DPM_SOLVER_PP -> DPM_SOLVER_PP; SAMPLER_UNSPECIFIED (or an unknown value) -> null. */
    public static SamplerKind samplerKind(String protoName) {
        return constant(SamplerKind.class, protoName, SAMPLER);
    }

    public static String sampler(SamplerKind kind) {
        return SAMPLER + kind.name();
    }

    public static TimestepSpacing spacing(String protoName) {
        return constant(TimestepSpacing.class, protoName, SPACING);
    }

    /** null (the sampler's default) -> SPACING_UNSPECIFIED. */
    public static String spacing(TimestepSpacing spacing) {
        return SPACING + (spacing == null ? "UNSPECIFIED" : spacing.name());
    }

    private static <E extends Enum<E>> E constant(Class<E> type, String protoName, String prefix) {
        if (protoName == null || !protoName.startsWith(prefix)) {
            return null;
        }
        try {
            return Enum.valueOf(type, protoName.substring(prefix.length()));
        } catch (IllegalArgumentException e) {
            return null; // UNSPECIFIED, UNRECOGNIZED
        }
    }
}
