package dev.ddpm.trainer.cli;

import ai.djl.Device;
import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.Topic;
import dev.ddpm.core.lifecycle.ModelLifecycle;
import dev.ddpm.core.messaging.EventPublisher;
import dev.ddpm.core.signing.ManifestSigner;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.trainer.checkpoint.CheckpointStore;
import dev.ddpm.trainer.export.ModelPublisher;
import dev.ddpm.trainer.train.DiffusionNetwork;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.time.Clock;
import java.util.Map;

/** {@code export}: a run's newest checkpoint published as a model version, announced on Kafka. */
@Command(
        name = "export",
        sortOptions = false,
        description = {
            "Exports the run's newest checkpoint to ONNX, checks it against DJL and publishes unet.onnx, "
                    + "samples.png and manifest.json to ddpm-models/NAME/VERSION/, then ModelPublished on Kafka.",
            "With --guidance also guide.onnx: the sampler then serves the model autoguided."
        })
final class ExportCommand implements Runnable {

    @Spec
    private CommandSpec spec;

    @Option(names = "--run", paramLabel = "ID", required = true, description = "the run")
    private String run;

    @Option(names = "--model", paramLabel = "NAME", description = "model name (default: the run's)")
    private String model;

    @Option(
            names = "--weights",
            paramLabel = "WEIGHTS",
            defaultValue = "ema",
            converter = WireNames.WeightChoices.class,
            completionCandidates = WireNames.WeightChoices.class,
            description = "${COMPLETION-CANDIDATES}: the weights' moving average or the trained weights "
                    + "(default: ${DEFAULT-VALUE})")
    private WireNames.Weights weights;

    @Mixin
    private DeviceOption device;

    @Mixin
    private GuidanceOptions guidanceOptions;

    @Mixin
    private Connections connections;

    @Override
    public void run() {
        guidanceOptions.check();
        ManifestSigner signer = connections.signer(); // before any work: nothing is published unsigned
        Device chosen = device.select();
        try (ArtifactStore store = connections.store();
                EventPublisher events = new EventPublisher(connections.kafka(), Connections.EVENT_SOURCE)) {
            CheckpointStore checkpoints = new CheckpointStore(store);
            try (DiffusionNetwork network = checkpoints.restore(run, chosen);
                    Guidance guidance = guidanceOptions.open(run, network, checkpoints, chosen)) {
                String name = model != null ? model : checkpoints.latest(run).runId();
                ModelManifest manifest = publisher(store, events, signer)
                        .publish(
                                network,
                                guidance.forPublishing(),
                                new ModelPublisher.Request(
                                        TrainerCli.safeName(name), run, weights == WireNames.Weights.EMA, Map.of()));
                spec.commandLine()
                        .getOut()
                        .printf(
                                "published %s/%s/%s/manifest.json (step %d%s, parity %.1e) and "
                                        + "announced it on %s%n",
                                Buckets.MODELS,
                                manifest.name(),
                                manifest.version(),
                                manifest.training().step(),
                                guidance.description(),
                                manifest.metrics().get("onnx_parity_max_abs_diff"),
                                Topic.MODELS.topicName());
            }
        }
    }

    /**
     * Publishes to the models bucket and announces on Kafka (export, and train's {@code --export true}):
     * a version becomes its model's candidate, and a run's final export passes the quality gate.
     */
    static ModelPublisher publisher(ArtifactStore store, EventPublisher events, ManifestSigner signer) {
        ModelLifecycle.Announcer announcer = event -> events.publishAndWait(CloudEvent.of(events.source(), event));
        return new ModelPublisher(
                store,
                signer,
                ModelPublisher.Announcer.viaKafka(events),
                new ModelLifecycle(store, announcer, Clock.systemUTC()),
                announcer,
                Clock.systemUTC());
    }
}
