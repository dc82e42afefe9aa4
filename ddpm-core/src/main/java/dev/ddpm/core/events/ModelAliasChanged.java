package dev.ddpm.core.events;

import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;
import dev.ddpm.core.lifecycle.AliasChange;
import dev.ddpm.core.lifecycle.CanarySplit;

import java.util.Map;

/**
 * A model's aliases changed: the whole new state (so the latest event per model on the compacted
 * topic is enough) and the change that made it. {@code ddpm-models/{model}/aliases.json} holds the
 * same revision, written before this is sent. Key: model name.
 *
 * @param revision the alias document's revision; a reader ignores one it has passed
 * @param aliases  alias name to version ({@code production}, {@code candidate})
 * @param canary   production's canary split, or null
 */
public record ModelAliasChanged(
        String name,
        long revision,
        Map<String, String> aliases,
        @OptionalField CanarySplit canary,
        AliasChange change) implements EventData {

    public ModelAliasChanged {
        Require.safeName(name, "name");
        Require.atLeast(revision, 1, "revision");
        aliases = aliases == null ? Map.of() : Map.copyOf(aliases);
        Require.nonNull(change, "change");
    }

    @Override
    public String partitionKey() {
        return name;
    }
}
