package dev.ddpm.core.lifecycle;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;

import java.time.Instant;

/**
 * One entry of a model's alias history: which alias moved to which version (null: removed), from
 * which, by whom and why. The history is what a rollback reads.
 *
 * @param revision the revision of the alias document this change produced
 * @param alias    {@code production}, {@code candidate}, {@code canary}, {@code policy} or {@code sharing}
 * @param version  the version the alias names now; null when the change removed it
 * @param previous the version it named before; null when it named none
 * @param action   what happened: {@link Action}
 * @param actor    who: an API key id, {@code trainer} (the quality gate), {@code cli}
 * @param reason   why, in words (the gate's verdict, an operator's note)
 */
public record AliasChange(
        long revision,
        Instant at,
        String alias,
        @OptionalField String version,
        @OptionalField String previous,
        Action action,
        String actor,
        @OptionalField String reason) {

    /** What moved an alias. */
    public enum Action {
        /** A new version was published: it became the candidate (or production, for a model's first). */
        @JsonProperty("published")
        PUBLISHED,
        /** The quality gate or an operator made a version production. */
        @JsonProperty("promoted")
        PROMOTED,
        /** Production went back to the version it had before its last change. */
        @JsonProperty("rolled-back")
        ROLLED_BACK,
        /** The canary split was set or cleared. */
        @JsonProperty("canary")
        CANARY,
        /** A version was deleted: aliases naming it were removed. */
        @JsonProperty("deleted")
        DELETED,
        /** The promotion or retraining policy changed. */
        @JsonProperty("policy")
        POLICY,
        /** Who besides the owner may sample the model changed. */
        @JsonProperty("sharing")
        SHARING
    }

    public AliasChange {
        Require.atLeast(revision, 1, "revision");
        Require.nonNull(at, "at");
        Require.nonBlank(alias, "alias");
        Require.nonNull(action, "action");
        Require.nonBlank(actor, "actor");
    }
}
