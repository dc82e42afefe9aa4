package dev.ddpm.core.events;

import dev.ddpm.core.json.Require;

/**
 * A model version is complete in the models bucket. Key: model name (the topic is compacted, so
 * the latest event per name is the current version).
 *
 * @param manifestKey key of {@code manifest.json} in the models bucket
 * @param sha256      sha256 of the manifest object
 */
public record ModelPublished(String name, String version, String manifestKey, String sha256) implements EventData {

    public ModelPublished {
        Require.safeName(name, "name");
        Require.safeName(version, "version");
        Require.nonBlank(manifestKey, "manifestKey");
        Require.sha256Hex(sha256, "sha256");
    }

    @Override
    public String partitionKey() {
        return name;
    }
}
