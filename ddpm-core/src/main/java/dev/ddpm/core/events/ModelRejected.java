package dev.ddpm.core.events;

import dev.ddpm.core.json.Require;

/** A model version was refused (failed validation, corrupt artifact, quality gate). Key: model name. */
public record ModelRejected(String name, String version, String reason) implements EventData {

    public ModelRejected {
        Require.safeName(name, "name");
        Require.safeName(version, "version");
        Require.nonBlank(reason, "reason");
    }

    @Override
    public String partitionKey() {
        return name;
    }
}
