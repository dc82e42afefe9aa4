package dev.ddpm.core.lifecycle;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;

import java.util.List;
import java.util.TreeSet;

/**
 * Which API keys besides its owner may sample a model and read its description: every key
 * ({@code public}) or the keys listed. Sharing never lets another key change, retrain or resume the
 * model; those stay its owner's (and the admins').
 *
 * @param open every key may sample it ({@code "public"} in JSON)
 * @param keys the key ids that may, sorted and without repeats
 */
public record ModelSharing(
        @JsonProperty("public") @OptionalField Boolean open,
        @OptionalField List<String> keys) {

    /** Shared with nobody: the owner's (and the admins') alone. */
    public static final ModelSharing PRIVATE = new ModelSharing(false, List.of());

    public ModelSharing {
        open = open != null && open;
        keys = keys == null ? List.of() : List.copyOf(new TreeSet<>(keys));
        keys.forEach(k -> Require.nonBlank(k, "keys"));
    }

    /** Whether {@code keyId} may sample the model through this sharing (its owner may anyway). */
    public boolean includes(String keyId) {
        return open || (keyId != null && keys.contains(keyId));
    }

    /** Whether the model is shared with anyone. */
    public boolean any() {
        return open || !keys.isEmpty();
    }

    /** In words, for the model's history. */
    public String describe() {
        if (open) {
            return "shared with every key";
        }
        return keys.isEmpty() ? "shared with nobody" : "shared with " + String.join(", ", keys);
    }
}
