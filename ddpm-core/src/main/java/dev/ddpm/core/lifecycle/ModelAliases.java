package dev.ddpm.core.lifecycle;

import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code ddpm-models/{model}/aliases.json}: which version each alias of a model names, the canary
 * split, the model's policy, its owner and the history of every change. Each change makes a new
 * document with the next revision (announced as ModelAliasChanged); a reader that has applied a
 * revision ignores any older one, so replays and redeliveries change nothing.
 *
 * <p>{@code production} is what requests without a version get; {@code candidate} is the newest
 * version that is not production. A published version becomes the candidate, except a model's first
 * version, which becomes production: there is nothing to compare it with.
 *
 * @param owner   the API key id that first trained or published the model (null: only admins may
 *                change it)
 * @param aliases alias name to version
 * @param canary  the share of production's requests another version serves; null: none
 * @param history every change, oldest first (the last {@link #MAX_HISTORY})
 * @param sharing which other keys may sample the model and read its description (null: none)
 */
public record ModelAliases(
        int schemaVersion,
        String model,
        long revision,
        Instant updatedAt,
        @OptionalField String owner,
        @OptionalField ModelPolicy policy,
        Map<String, String> aliases,
        @OptionalField CanarySplit canary,
        @OptionalField List<AliasChange> history,
        @OptionalField ModelSharing sharing) {

    public static final int CURRENT_SCHEMA = 1;
    public static final String PRODUCTION = "production";
    public static final String CANDIDATE = "candidate";
    public static final int MAX_HISTORY = 500;
    /** The actor a sharing change shows to keys that may not see whom the model is shared with. */
    public static final String HIDDEN_ACTOR = "(hidden)";

    public ModelAliases {
        Require.atLeast(schemaVersion, 1, "schemaVersion");
        Require.safeName(model, "model");
        Require.atLeast(revision, 0, "revision");
        Require.nonNull(updatedAt, "updatedAt");
        policy = policy == null ? ModelPolicy.DEFAULT : policy;
        aliases = aliases == null ? Map.of() : Map.copyOf(aliases);
        aliases.forEach((alias, version) -> {
            Require.safeName(alias, "aliases");
            Require.safeName(version, "aliases." + alias);
        });
        history = history == null ? List.of() : List.copyOf(history);
        sharing = sharing == null ? ModelSharing.PRIVATE : sharing;
    }

    /** A document without sharing (shared with nobody). */
    public ModelAliases(
            int schemaVersion,
            String model,
            long revision,
            Instant updatedAt,
            String owner,
            ModelPolicy policy,
            Map<String, String> aliases,
            CanarySplit canary,
            List<AliasChange> history) {
        this(schemaVersion, model, revision, updatedAt, owner, policy, aliases, canary, history, null);
    }

    /** A model with no version yet (revision 0: nothing written). */
    public static ModelAliases none(String model, String owner) {
        return new ModelAliases(CURRENT_SCHEMA, model, 0, Instant.EPOCH, owner, null, Map.of(), null, List.of());
    }

    public Optional<String> production() {
        return Optional.ofNullable(aliases.get(PRODUCTION));
    }

    public Optional<String> candidate() {
        return Optional.ofNullable(aliases.get(CANDIDATE));
    }

    /** Whether {@code name} is an alias name rather than a version. */
    public static boolean isAlias(String name) {
        return PRODUCTION.equals(name) || CANDIDATE.equals(name);
    }

    /**
     * The version a request asked for: an alias resolved, a version as it is; production when the
     * request named none, or the canary's version when the split gives it this routing key.
     */
    public Optional<String> resolve(String versionOrAlias, long routingKey) {
        if (versionOrAlias == null || versionOrAlias.isEmpty()) {
            if (canary != null && canary.takes(routingKey)) {
                return Optional.of(canary.version());
            }
            return production();
        }
        if (isAlias(versionOrAlias)) {
            return Optional.ofNullable(aliases.get(versionOrAlias));
        }
        return Optional.of(versionOrAlias);
    }

    /**
     * A version was published: it becomes the candidate, or production when the model has none.
     * The owner is recorded if there is none yet.
     */
    public ModelAliases published(String version, String publishedBy, String actor, Instant at) {
        Require.safeName(version, "version");
        String alias = production().isEmpty() ? PRODUCTION : CANDIDATE;
        String reason = alias.equals(PRODUCTION) ? "the model's first version" : "published; production unchanged";
        ModelAliases moved = move(alias, version, AliasChange.Action.PUBLISHED, actor, reason, at);
        return owner == null && publishedBy != null ? moved.withOwner(publishedBy) : moved;
    }

    /**
     * {@code version} becomes production. The candidate alias is removed when it named that version,
     * and a canary split ends (promoting is how a canary ends well).
     */
    public ModelAliases promoted(String version, String actor, String reason, Instant at) {
        Require.safeName(version, "version");
        if (production().filter(version::equals).isPresent()) {
            return canary == null ? this : canary(null, actor, at);
        }
        ModelAliases moved = move(PRODUCTION, version, AliasChange.Action.PROMOTED, actor, reason, at);
        if (version.equals(aliases.get(CANDIDATE))) {
            moved = moved.without(CANDIDATE);
        }
        return moved.withCanary(null);
    }

    /**
     * Production goes back to the version it named before its last change (recorded in the history),
     * and a canary split ends. A second rollback undoes the first.
     *
     * @throws IllegalStateException when production has never changed (nothing to go back to)
     */
    public ModelAliases rolledBack(String actor, String reason, Instant at) {
        String current = production()
                .orElseThrow(() ->
                        new IllegalStateException("model '" + model + "' has no production version to roll back"));
        String target = null;
        for (int i = history.size() - 1; i >= 0; i--) {
            AliasChange change = history.get(i);
            if (PRODUCTION.equals(change.alias())
                    && current.equals(change.version())
                    && !current.equals(change.previous())) {
                target = change.previous();
                break;
            }
        }
        if (target == null) {
            throw new IllegalStateException("model '" + model + "' has had only one production version (" + current
                    + "): there is no earlier one to roll back to");
        }
        return move(PRODUCTION, target, AliasChange.Action.ROLLED_BACK, actor, reason, at)
                .withCanary(null);
    }

    /**
     * The canary split: {@code split} (null: none). Its version must not be production.
     *
     * @throws IllegalStateException when the model has no production version or the split names it
     */
    public ModelAliases canary(CanarySplit split, String actor, Instant at) {
        if (split != null) {
            String current = production()
                    .orElseThrow(() -> new IllegalStateException(
                            "model '" + model + "' has no production version to split traffic with"));
            if (current.equals(split.version())) {
                throw new IllegalStateException(
                        "version " + split.version() + " is production already: a canary must be another version");
            }
        }
        if (Objects.equals(split, canary)) {
            return this;
        }
        String reason =
                split == null ? "canary ended" : split.percent() + " % of production's requests to " + split.version();
        return next(
                        new AliasChange(
                                revision + 1,
                                at,
                                "canary",
                                split == null ? null : split.version(),
                                canary == null ? null : canary.version(),
                                AliasChange.Action.CANARY,
                                actor,
                                reason),
                        aliases,
                        at)
                .withCanary(split);
    }

    /**
     * {@code version} is deleted: the aliases naming it go.
     *
     * @throws IllegalStateException when it is production or takes a canary share
     */
    public ModelAliases deleted(String version, String actor, Instant at) {
        if (production().filter(version::equals).isPresent()) {
            throw new IllegalStateException("version " + version + " is production of model '" + model
                    + "': promote or roll back to another version before deleting it");
        }
        if (canary != null && canary.version().equals(version)) {
            throw new IllegalStateException("version " + version + " serves the canary share of model '" + model
                    + "': end the canary before deleting it");
        }
        if (!version.equals(aliases.get(CANDIDATE))) {
            return this;
        }
        return move(CANDIDATE, null, AliasChange.Action.DELETED, actor, "version deleted", at);
    }

    /** The model's policy becomes {@code value}. */
    public ModelAliases withPolicy(ModelPolicy value, String actor, Instant at) {
        if (value.equals(policy)) {
            return this;
        }
        ModelAliases next = next(
                new AliasChange(
                        revision + 1, at, "policy", null, null, AliasChange.Action.POLICY, actor, value.describe()),
                aliases,
                at);
        return new ModelAliases(
                schemaVersion, model, next.revision, at, owner, value, aliases, canary, next.history, sharing);
    }

    /** Who besides its owner may sample the model becomes {@code value}, recorded in the history. */
    public ModelAliases withSharing(ModelSharing value, String actor, Instant at) {
        if (value.equals(sharing)) {
            return this;
        }
        ModelAliases next = next(
                new AliasChange(
                        revision + 1, at, "sharing", null, null, AliasChange.Action.SHARING, actor, value.describe()),
                aliases,
                at);
        return new ModelAliases(
                schemaVersion, model, next.revision, at, owner, policy, aliases, canary, next.history, value);
    }

    /** Whether {@code keyId} owns the model (a model without a recorded owner is no key's). */
    public boolean ownedBy(String keyId) {
        return owner != null && owner.equals(keyId);
    }

    /** Whether {@code keyId} may sample the model and read its description: its owner, or a key it is shared with. */
    public boolean sampleableBy(String keyId) {
        return ownedBy(keyId) || sharing.includes(keyId);
    }

    /** The previous production versions, newest first, as the history records them. */
    public List<AliasChange> productionChanges() {
        List<AliasChange> changes = new ArrayList<>();
        for (int i = history.size() - 1; i >= 0; i--) {
            if (PRODUCTION.equals(history.get(i).alias())) {
                changes.add(history.get(i));
            }
        }
        return changes;
    }

    private ModelAliases move(
            String alias, String version, AliasChange.Action action, String actor, String reason, Instant at) {
        Map<String, String> moved = new LinkedHashMap<>(aliases);
        String previous = version == null ? moved.remove(alias) : moved.put(alias, version);
        if (PRODUCTION.equals(alias) && version != null && version.equals(moved.get(CANDIDATE))) {
            moved.remove(CANDIDATE);
        }
        return next(new AliasChange(revision + 1, at, alias, version, previous, action, actor, reason), moved, at);
    }

    private ModelAliases next(AliasChange change, Map<String, String> newAliases, Instant at) {
        List<AliasChange> kept = new ArrayList<>(history);
        kept.add(change);
        if (kept.size() > MAX_HISTORY) {
            kept = kept.subList(kept.size() - MAX_HISTORY, kept.size());
        }
        return new ModelAliases(
                schemaVersion, model, revision + 1, at, owner, policy, newAliases, canary, kept, sharing);
    }

    private ModelAliases without(String alias) {
        Map<String, String> fewer = new LinkedHashMap<>(aliases);
        fewer.remove(alias);
        return new ModelAliases(
                schemaVersion, model, revision, updatedAt, owner, policy, fewer, canary, history, sharing);
    }

    private ModelAliases withCanary(CanarySplit split) {
        return new ModelAliases(
                schemaVersion, model, revision, updatedAt, owner, policy, aliases, split, history, sharing);
    }

    /**
     * The document as a key that may sample the model but not change it reads it: whom it is shared
     * with stays out of the history too, each sharing change keeping only when it happened (its actor
     * {@link #HIDDEN_ACTOR}, its reason, which names the keys, left out).
     */
    public ModelAliases withSharingChangesHidden() {
        List<AliasChange> hidden = history.stream()
                .map(c -> c.action() == AliasChange.Action.SHARING
                        ? new AliasChange(
                                c.revision(),
                                c.at(),
                                c.alias(),
                                c.version(),
                                c.previous(),
                                c.action(),
                                HIDDEN_ACTOR,
                                null)
                        : c)
                .toList();
        return new ModelAliases(
                schemaVersion, model, revision, updatedAt, owner, policy, aliases, canary, hidden, sharing);
    }

    private ModelAliases withOwner(String value) {
        return new ModelAliases(
                schemaVersion, model, revision, updatedAt, value, policy, aliases, canary, history, sharing);
    }
}
