package dev.ddpm.trainer.cli;

import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.lifecycle.AliasChange;
import dev.ddpm.core.lifecycle.CanarySplit;
import dev.ddpm.core.lifecycle.ModelAliases;
import dev.ddpm.core.lifecycle.ModelLifecycle;
import dev.ddpm.core.lifecycle.ModelPolicy;
import dev.ddpm.core.messaging.EventPublisher;
import dev.ddpm.core.storage.ArtifactStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Clock;
import java.util.function.Function;

/**
 * {@code models}: a model's versions and aliases, through {@link ModelLifecycle} as the gateway's API
 * changes them: {@code aliases.json} in the models bucket first, then ModelAliasChanged (or
 * ModelVersionDeleted) on Kafka. A refusal (no such model or version, or a state that forbids it,
 * such as deleting production) fails the command with the reason.
 */
@Command(
        name = "models",
        synopsisSubcommandLabel = "COMMAND",
        description = "A model's versions and aliases: production, candidate, canary, policy, history.",
        subcommands = {
            ModelsCommand.Aliases.class,
            ModelsCommand.Promote.class,
            ModelsCommand.Rollback.class,
            ModelsCommand.Canary.class,
            ModelsCommand.Policy.class,
            ModelsCommand.Delete.class
        })
final class ModelsCommand implements Runnable {

    /** Who the alias history names for what these commands change. */
    static final String ACTOR = "cli";

    @Spec
    private CommandSpec spec;

    /** Without a subcommand: the subcommands. */
    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Runs {@code operation} on the lifecycle of the models bucket, announcing on Kafka. */
    static <T> T withLifecycle(Connections connections, Function<ModelLifecycle, T> operation) {
        try (ArtifactStore store = connections.store();
                EventPublisher events = new EventPublisher(connections.kafka(), Connections.EVENT_SOURCE)) {
            ModelLifecycle lifecycle = new ModelLifecycle(
                    store,
                    event -> events.publishAndWait(CloudEvent.of(Connections.EVENT_SOURCE, event)),
                    Clock.systemUTC());
            return operation.apply(lifecycle);
        }
    }

    /** The aliases, canary split, policy and owner of a model, one per line. */
    static void printState(PrintWriter out, ModelAliases state) {
        out.printf(
                "model %s (revision %d, owner %s)%n",
                state.model(), state.revision(), state.owner() == null ? "none: admins only" : state.owner());
        out.printf("  production  %s%n", state.production().orElse("none"));
        out.printf("  candidate   %s%n", state.candidate().orElse("none"));
        CanarySplit canary = state.canary();
        out.printf(
                "  canary      %s%n",
                canary == null
                        ? "none"
                        : canary.version() + " takes " + canary.percent() + " % of production's requests");
        ModelPolicy policy = state.policy();
        out.printf(
                "  policy      promotion %s, margin %s, retrain %s%n",
                Json.wireName(policy.promotion()),
                policy.margin(),
                policy.retrain() == null ? "as the trainer's default" : Json.wireName(policy.retrain()));
    }

    /** One entry of the alias history: revision, time, what moved where, who did it and why. */
    static String historyLine(AliasChange change) {
        String moved = switch (change.action()) {
            case POLICY -> "policy " + change.reason();
            case CANARY, SHARING -> change.reason();
            default ->
                change.alias() + " " + (change.previous() == null ? "" : change.previous() + " ") + "-> "
                        + (change.version() == null ? "none" : change.version());
        };
        // A policy, canary or sharing change says what it did in its reason; the others add theirs after the actor.
        boolean reasonInMove = change.action() == AliasChange.Action.POLICY
                || change.action() == AliasChange.Action.CANARY
                || change.action() == AliasChange.Action.SHARING
                || change.reason() == null;
        return String.format(
                "  %d  %s  %s: %s (by %s%s)",
                change.revision(),
                change.at(),
                Json.wireName(change.action()),
                moved,
                change.actor(),
                reasonInMove ? "" : ": " + change.reason());
    }

    /** {@code models aliases NAME}: the state and the history of its changes. */
    @Command(name = "aliases", description = "Shows a model's aliases, canary, policy and the history of changes.")
    static final class Aliases implements Runnable {

        @Spec
        private CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME", description = "the model")
        private String model;

        @Mixin
        private Connections connections;

        @Override
        public void run() {
            ModelAliases state = withLifecycle(connections, l -> l.aliases(TrainerCli.safeName(model)));
            PrintWriter out = spec.commandLine().getOut();
            printState(out, state);
            out.println(state.history().isEmpty() ? "history: none" : "history (oldest first):");
            state.history().forEach(change -> out.println(historyLine(change)));
        }
    }

    /** {@code models promote NAME VERSION}: the version becomes production. */
    @Command(name = "promote", description = "Makes a version production (a canary split ends).")
    static final class Promote implements Runnable {

        @Spec
        private CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME", description = "the model")
        private String model;

        @Parameters(index = "1", paramLabel = "VERSION", description = "the version that becomes production")
        private String version;

        @Option(names = "--reason", paramLabel = "TEXT", description = "why, for the alias history")
        private String reason;

        @Mixin
        private Connections connections;

        @Override
        public void run() {
            ModelAliases state = withLifecycle(
                    connections,
                    l -> l.promote(
                            TrainerCli.safeName(model), version, ACTOR, reason == null ? "promoted by hand" : reason));
            spec.commandLine()
                    .getOut()
                    .printf(
                            "model %s: production is %s (revision %d)%n",
                            state.model(), state.production().orElseThrow(), state.revision());
        }
    }

    /** {@code models rollback NAME}: production goes back to the version it had before. */
    @Command(
            name = "rollback",
            description = "Makes the previous production version production again (from the alias history).")
    static final class Rollback implements Runnable {

        @Spec
        private CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME", description = "the model")
        private String model;

        @Option(names = "--reason", paramLabel = "TEXT", description = "why, for the alias history")
        private String reason;

        @Mixin
        private Connections connections;

        @Override
        public void run() {
            ModelAliases state = withLifecycle(
                    connections,
                    l -> l.rollback(
                            TrainerCli.safeName(model), ACTOR, reason == null ? "rolled back by hand" : reason));
            spec.commandLine()
                    .getOut()
                    .printf(
                            "model %s: production is back at %s (revision %d)%n",
                            state.model(), state.production().orElseThrow(), state.revision());
        }
    }

    /** {@code models canary NAME VERSION PERCENT} or {@code models canary NAME --off}. */
    @Command(
            name = "canary",
            description = {
                "Sends PERCENT %% of the requests that would get production to VERSION instead, chosen by "
                        + "each request's seed; --off ends the split.",
                "Promoting a version or rolling back also ends it."
            })
    static final class Canary implements Runnable {

        @Spec
        private CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME", description = "the model")
        private String model;

        @Parameters(
                index = "1",
                arity = "0..1",
                paramLabel = "VERSION",
                description = "the version that takes the share (not with --off)")
        private String version;

        @Parameters(
                index = "2",
                arity = "0..1",
                paramLabel = "PERCENT",
                description = "its share of production's requests, 1..99 (not with --off)")
        private Integer percent;

        @Option(names = "--off", description = "end the canary split")
        private boolean off;

        @Mixin
        private Connections connections;

        @Override
        public void run() {
            CanarySplit split = split();
            ModelAliases state = withLifecycle(connections, l -> l.canary(TrainerCli.safeName(model), split, ACTOR));
            spec.commandLine()
                    .getOut()
                    .printf(
                            "model %s: %s (revision %d)%n",
                            state.model(),
                            state.canary() == null
                                    ? "no canary; production "
                                            + state.production().orElse("none") + " takes every request"
                                    : state.canary().version() + " takes "
                                            + state.canary().percent() + " % of production's requests",
                            state.revision());
        }

        /** The split VERSION PERCENT asks for; a usage error when they are missing or come with --off. */
        private CanarySplit split() {
            if (off && (version != null || percent != null)) {
                throw new ParameterException(spec.commandLine(), "--off takes no VERSION or PERCENT");
            }
            if (off) {
                return null;
            }
            if (version == null || percent == null) {
                throw new ParameterException(spec.commandLine(), "give VERSION and PERCENT, or --off");
            }
            try {
                return new CanarySplit(version, percent);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
        }
    }

    /** {@code models policy NAME}: how new versions become production, and what data set changes start. */
    @Command(
            name = "policy",
            sortOptions = false,
            description = "Changes how the model's new versions become production and whether changes to its "
                    + "data set retrain it; the options not given keep their values.")
    static final class Policy implements Runnable {

        @Spec
        private CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME", description = "the model")
        private String model;

        @Option(
                names = "--promotion",
                paramLabel = "MODE",
                converter = WireNames.Promotions.class,
                completionCandidates = WireNames.Promotions.class,
                description = "${COMPLETION-CANDIDATES}: a candidate that passes the quality gate becomes production "
                        + "by itself, or only when promoted")
        private ModelPolicy.Promotion promotion;

        @Option(
                names = "--margin",
                paramLabel = "M",
                description = "how much worse than production a candidate may measure and still pass, as a "
                        + "fraction 0..1 (0.1: FLD at most 10 %% higher)")
        private Double margin;

        @Option(
                names = "--retrain",
                paramLabel = "MODE",
                converter = WireNames.Retrains.class,
                completionCandidates = WireNames.Retrains.class,
                description = "${COMPLETION-CANDIDATES}: what a change to the model's data set starts")
        private ModelPolicy.Retrain retrain;

        @Mixin
        private Connections connections;

        @Override
        public void run() {
            if (promotion == null && margin == null && retrain == null) {
                throw new ParameterException(
                        spec.commandLine(), "nothing to change: give --promotion, --margin or --retrain");
            }
            String name = TrainerCli.safeName(model);
            ModelAliases state = withLifecycle(
                    connections, l -> l.policy(name, changed(l.aliases(name).policy()), ACTOR));
            printState(spec.commandLine().getOut(), state);
        }

        private ModelPolicy changed(ModelPolicy current) {
            ModelPolicy policy = current;
            if (promotion != null) {
                policy = policy.withPromotion(promotion);
            }
            if (margin != null) {
                try {
                    policy = policy.withMargin(margin);
                } catch (IllegalArgumentException e) {
                    throw new ParameterException(spec.commandLine(), "--margin " + e.getMessage());
                }
            }
            if (retrain != null) {
                policy = policy.withRetrain(retrain);
            }
            return policy;
        }
    }

    /** {@code models delete NAME VERSION}: the version's files and the aliases naming it. */
    @Command(
            name = "delete",
            description = "Deletes a version's files and the aliases naming it; production and the canary's "
                    + "version are refused (promote, roll back or end the canary first).")
    static final class Delete implements Runnable {

        @Spec
        private CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME", description = "the model")
        private String model;

        @Parameters(index = "1", paramLabel = "VERSION", description = "the version")
        private String version;

        @Mixin
        private Connections connections;

        @Override
        public void run() {
            String name = TrainerCli.safeName(model);
            withLifecycle(connections, l -> l.deleteVersion(name, version, ACTOR));
            spec.commandLine().getOut().printf("model %s: version %s deleted%n", name, version);
        }
    }
}
