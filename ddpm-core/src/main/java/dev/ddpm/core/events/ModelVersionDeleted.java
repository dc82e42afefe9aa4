package dev.ddpm.core.events;

import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;

/**
 * A model version's files were removed (never production): samplers drop it if they hold it. Key:
 * model name.
 */
public record ModelVersionDeleted(
        String name, String version, @OptionalField String deletedBy) implements EventData {

    public ModelVersionDeleted {
        Require.safeName(name, "name");
        Require.safeName(version, "version");
    }

    @Override
    public String partitionKey() {
        return name;
    }
}
