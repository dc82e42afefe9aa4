package dev.ddpm.trainer.cli;

import dev.ddpm.core.diffusion.DdpmVariance;
import dev.ddpm.core.diffusion.SamplerKind;
import dev.ddpm.core.diffusion.TimestepSpacing;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.lifecycle.ModelPolicy;
import dev.ddpm.core.model.BetaSchedule;
import dev.ddpm.core.model.LearningRateDecay;
import dev.ddpm.core.model.PredictionType;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Word-valued options read as the API spells the words (a request's JSON, the sampler's REST
 * parameters), so {@code --schedule cosine} means what {@code "schedule": "cosine"} means. Each
 * subclass is both the option's converter and its list of accepted words for the generated help; a
 * word outside the list is a usage error that names them.
 */
abstract class WireNames<E extends Enum<E>> implements ITypeConverter<E>, Iterable<String> {

    private final Class<E> type;
    private final Function<E, String> wireName;

    WireNames(Class<E> type, Function<E, String> wireName) {
        this.type = type;
        this.wireName = wireName;
    }

    @Override
    public E convert(String value) {
        for (E constant : type.getEnumConstants()) {
            if (wireName.apply(constant).equals(value)) {
                return constant;
            }
        }
        List<String> words =
                Arrays.stream(type.getEnumConstants()).map(wireName).toList();
        throw new TypeConversionException("must be " + Json.alternatives(words) + ", was '" + value + "'");
    }

    @Override
    public Iterator<String> iterator() {
        return Arrays.stream(type.getEnumConstants()).map(wireName).iterator();
    }

    static final class Schedules extends WireNames<BetaSchedule> {
        Schedules() {
            super(BetaSchedule.class, Json::wireName);
        }
    }

    static final class Predictions extends WireNames<PredictionType> {
        Predictions() {
            super(PredictionType.class, Json::wireName);
        }
    }

    static final class Decays extends WireNames<LearningRateDecay> {
        Decays() {
            super(LearningRateDecay.class, Json::wireName);
        }
    }

    static final class Samplers extends WireNames<SamplerKind> {
        Samplers() {
            super(SamplerKind.class, SamplerKind::wireName);
        }
    }

    static final class Spacings extends WireNames<TimestepSpacing> {
        Spacings() {
            super(TimestepSpacing.class, Json::wireName);
        }
    }

    static final class Variances extends WireNames<DdpmVariance> {
        Variances() {
            super(DdpmVariance.class, DdpmVariance::wireName);
        }
    }

    static final class Promotions extends WireNames<ModelPolicy.Promotion> {
        Promotions() {
            super(ModelPolicy.Promotion.class, Json::wireName);
        }
    }

    static final class Retrains extends WireNames<ModelPolicy.Retrain> {
        Retrains() {
            super(ModelPolicy.Retrain.class, Json::wireName);
        }
    }

    /** {@code --weights}: whether the EMA (the default) or the trained weights are used. */
    enum Weights {
        EMA,
        TRAINED
    }

    static final class WeightChoices extends WireNames<Weights> {
        WeightChoices() {
            super(Weights.class, WireNames::lowerCase);
        }
    }

    /** {@code --flip}: the request's horizontal flip as asked, or (auto) left to the image channels. */
    enum Flip {
        AUTO(null),
        TRUE(true),
        FALSE(false);

        private final Boolean horizontalFlip;

        Flip(Boolean horizontalFlip) {
            this.horizontalFlip = horizontalFlip;
        }

        /** The request's {@code horizontalFlip}: null for auto. */
        Boolean horizontalFlip() {
            return horizontalFlip;
        }
    }

    static final class FlipChoices extends WireNames<Flip> {
        FlipChoices() {
            super(Flip.class, WireNames::lowerCase);
        }
    }

    private static String lowerCase(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT);
    }
}
