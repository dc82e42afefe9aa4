package dev.ddpm.trainer.cli;

import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.Topic;
import dev.ddpm.core.events.TrainingCancelRequested;
import dev.ddpm.core.messaging.EventPublisher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code trainings}: training runs the trainer-service executes. */
@Command(
        name = "trainings",
        synopsisSubcommandLabel = "COMMAND",
        description = "Training runs of the trainer-service.",
        subcommands = {TrainingsCommand.Cancel.class})
final class TrainingsCommand implements Runnable {

    @Spec
    private CommandSpec spec;

    /** Without a subcommand: the subcommands. */
    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code trainings cancel RUN}: a TrainingCancelRequested on Kafka. */
    @Command(
            name = "cancel",
            description = {
                "Cancels a training run, via Kafka: the trainer running it stops at its next step, keeps its "
                        + "checkpoints, publishes nothing and reports TrainingCancelled; a run not started yet "
                        + "never starts.",
                "A run that has ended stays as it is."
            })
    static final class Cancel implements Runnable {

        @Spec
        private CommandSpec spec;

        @Parameters(index = "0", paramLabel = "RUN", description = "the run's id")
        private String run;

        @Mixin
        private Connections connections;

        @Override
        public void run() {
            TrainingCancelRequested cancel = new TrainingCancelRequested(run, ModelsCommand.ACTOR);
            try (EventPublisher publisher = new EventPublisher(connections.kafka(), Connections.EVENT_SOURCE)) {
                publisher.publishAndWait(CloudEvent.of(Connections.EVENT_SOURCE, cancel));
            }
            spec.commandLine()
                    .getOut()
                    .printf("cancel of training run %s requested on %s%n", run, Topic.TRAINING_REQUESTS.topicName());
        }
    }
}
