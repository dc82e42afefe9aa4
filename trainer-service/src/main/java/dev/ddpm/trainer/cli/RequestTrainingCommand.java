package dev.ddpm.trainer.cli;

import dev.ddpm.core.api.TrainingRequest;
import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.TrainingRequested;
import dev.ddpm.core.messaging.EventPublisher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code request-training}: asks the trainer-service for a run, with a TrainingRequested on Kafka. */
@Command(
        name = "request-training",
        sortOptions = false,
        description = {
            "Asks the trainer-service to train, via Kafka.",
            "Past --max-minutes the service ends the run at its next step and publishes it (as train's "
                    + "--time-box: the cosine decay fitted to the steps it reaches)."
        })
final class RequestTrainingCommand implements Runnable {

    @Spec
    private CommandSpec spec;

    @Option(
            names = "--data",
            paramLabel = "NAME",
            required = true,
            description = "data set name in the datasets bucket (see upload-dataset)")
    private String data;

    @Mixin
    private TrainingOptions training;

    @Option(
            names = "--max-minutes",
            paramLabel = "MINUTES",
            defaultValue = "0",
            converter = TrainingOptions.Minutes.class,
            description = "the run's time box: it ends at its next step past this many minutes of training "
                    + "(default: ${DEFAULT-VALUE}, none)")
    private double maxMinutes;

    /** Train's option, taken only to say what a requested run has instead. */
    @Option(names = "--time-box", hidden = true, defaultValue = "0", converter = TrainingOptions.Minutes.class)
    private double timeBox;

    @Mixin
    private Connections connections;

    @Override
    public void run() {
        if (timeBox > 0) {
            throw new ParameterException(
                    spec.commandLine(),
                    "a requested run's time box is --max-minutes (the service "
                            + "ends the run there, its decay fitted); --time-box is train's");
        }
        TrainingRequest asked = request();
        TrainingRequested request = new TrainingRequested(training.runId(asked), asked, "cli");
        try (EventPublisher publisher = new EventPublisher(connections.kafka(), Connections.EVENT_SOURCE)) {
            publisher.publishAndWait(CloudEvent.of(Connections.EVENT_SOURCE, request));
        }
        spec.commandLine()
                .getOut()
                .printf(
                        "training run %s requested (model %s on data set %s)%n",
                        request.runId(), asked.modelName(), asked.dataset());
    }

    /** The request sent: the options', with --max-minutes as its time box. */
    TrainingRequest request() {
        return training.request(TrainerCli.safeName(data), maxMinutes);
    }
}
