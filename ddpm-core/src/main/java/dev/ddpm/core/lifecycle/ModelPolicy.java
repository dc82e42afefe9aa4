package dev.ddpm.core.lifecycle;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;

/**
 * How a model's new versions become production and whether data set changes retrain it.
 *
 * @param promotion {@code auto}: a candidate that passes the quality gate becomes production;
 *                  {@code manual}: only an operator promotes
 * @param margin    how much worse than production a candidate may measure and still pass, as a
 *                  fraction (0.1: FLD at most 10 % higher, recognisable share at most 0.1 lower)
 * @param retrain   what a change to the model's data set starts; absent: the trainer's
 *                  {@code trainer.retrain.policy}, off unless an operator turned it on
 */
public record ModelPolicy(
        Promotion promotion, double margin, @OptionalField Retrain retrain) {

    public static final double DEFAULT_MARGIN = 0.1;
    public static final ModelPolicy DEFAULT = new ModelPolicy(Promotion.AUTO, DEFAULT_MARGIN, null);

    public enum Promotion {
        @JsonProperty("auto")
        AUTO,
        @JsonProperty("manual")
        MANUAL
    }

    public enum Retrain {
        /** Data set changes start nothing for this model. */
        @JsonProperty("off")
        OFF,
        /** From the production version's checkpoint, with its recipe. */
        @JsonProperty("fine-tune")
        FINE_TUNE,
        /** A new run with the production version's recipe, from scratch. */
        @JsonProperty("scratch")
        SCRATCH
    }

    public ModelPolicy {
        promotion = promotion == null ? Promotion.AUTO : promotion;
        Require.inRange(margin, 0, 1, "margin");
    }

    /** The policy in words, as the alias history records it: "promotion auto, margin 0.1, retrain off". */
    public String describe() {
        return "promotion " + Json.wireName(promotion) + ", margin " + margin + ", retrain "
                + (retrain == null ? "as the trainer's default" : Json.wireName(retrain));
    }

    public ModelPolicy withPromotion(Promotion value) {
        return new ModelPolicy(value, margin, retrain);
    }

    public ModelPolicy withMargin(double value) {
        return new ModelPolicy(promotion, value, retrain);
    }

    public ModelPolicy withRetrain(Retrain value) {
        return new ModelPolicy(promotion, margin, value);
    }
}
