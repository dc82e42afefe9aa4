package dev.ddpm.trainer.cli;

import ai.djl.Device;
import dev.ddpm.core.api.RunIds;
import dev.ddpm.core.api.TrainingRequest;
import dev.ddpm.core.diffusion.ReverseProcess;
import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.DatasetUpdated;
import dev.ddpm.core.events.Topic;
import dev.ddpm.core.events.TrainingRequested;
import dev.ddpm.core.image.ImageEncoding;
import dev.ddpm.core.messaging.EventPublisher;
import dev.ddpm.core.messaging.KafkaSettings;
import dev.ddpm.core.model.BetaSchedule;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.model.DiffusionConfig;
import dev.ddpm.core.model.LearningRateDecay;
import dev.ddpm.core.model.ModelManifest;
import dev.ddpm.core.model.PredictionType;
import dev.ddpm.core.model.UNetConfig;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.S3Settings;
import dev.ddpm.trainer.checkpoint.CheckpointManifest;
import dev.ddpm.trainer.checkpoint.CheckpointStore;
import dev.ddpm.trainer.data.DatasetReader;
import dev.ddpm.trainer.data.IdxLabels;
import dev.ddpm.trainer.data.InMemoryImageSet;
import dev.ddpm.trainer.data.Pixels;
import dev.ddpm.trainer.eval.FeatureClassifier;
import dev.ddpm.trainer.eval.ForwardStrip;
import dev.ddpm.trainer.eval.PreviewGrid;
import dev.ddpm.trainer.eval.QualityProbe;
import dev.ddpm.trainer.eval.QualityReport;
import dev.ddpm.trainer.export.ModelPublisher;
import dev.ddpm.trainer.model.UNetPresets;
import dev.ddpm.trainer.run.RunListener;
import dev.ddpm.trainer.run.RunPlan;
import dev.ddpm.trainer.run.TimeLimit;
import dev.ddpm.trainer.run.TrainingRun;
import dev.ddpm.trainer.train.DiffusionNetwork;
import dev.ddpm.trainer.train.DjlEngine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The trainer on one machine, against the S3 server (and Kafka) of {@code S3_ENDPOINT},
 * {@code S3_ACCESS_KEY}, {@code S3_SECRET_KEY}, {@code KAFKA_BOOTSTRAP_SERVERS} (the local stack's by
 * default). Run through {@code scripts/ddpm.sh}; {@code help} lists the commands.
 */
public final class TrainerCli {

    private static final Set<String> TRAIN_OPTIONS = Set.of("data", "preset", "steps", "batch", "lr", "warmup", "ema",
            "seed", "schedule", "prediction", "run", "model", "checkpoint-every", "grid-every", "progress-every", "quality-every", "quality-samples",
            "device", "gpus", "threads", "flip", "lr-decay", "export", "snr-gamma", "max-minutes", "time-box",
            "keep-checkpoints");

    private TrainerCli() {
    }

    public static void main(String[] args) {
        try {
            System.exit(run(args));
        } catch (Arguments.UsageException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
        } catch (RuntimeException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(1);
        }
    }

    static int run(String[] args) {
        String command = args.length == 0 ? "help" : args[0];
        switch (command) {
            case "train" -> train(new Arguments(command, args, 1, TRAIN_OPTIONS));
            case "sample-grid" -> sampleGrid(new Arguments(command, args, 1, with(SamplerOptions.withGuidance(),
                    "run", "out", "count", "seed", "device")));
            case "evaluate" -> evaluate(new Arguments(command, args, 1, with(SamplerOptions.withGuidance(),
                    "run", "mnist", "data", "samples", "seed", "epochs", "device", "weights")));
            case "forward-strip" -> forwardStrip(new Arguments(command, args, 1, Set.of("data", "index", "timesteps",
                    "schedule", "size", "out", "seed")));
            case "export" -> export(new Arguments(command, args, 1, with(Guidance.OPTIONS, "run", "model", "weights", "device")));
            case "upload-dataset" -> uploadDataset(new Arguments(command, args, 1, Set.of("name", "path")));
            case "request-training" -> requestTraining(new Arguments(command, args, 1, TRAIN_OPTIONS));
            case "help", "--help", "-h" -> System.out.println(usage());
            default -> throw new Arguments.UsageException("unknown command '" + command + "'\n" + usage());
        }
        return 0;
    }

    static String usage() {
        return """
                usage: scripts/ddpm.sh COMMAND [--option value ...]
                  train            --data PATH --preset PRESET --steps N [--batch 64 --lr 2e-4 --warmup 0
                                   --lr-decay none|cosine --ema 0.9999 --seed 0 --schedule linear|cosine --prediction epsilon|v
                                   --snr-gamma 0 (off; 5 = Min-SNR-5 loss weighting) --run ID
                                   --model NAME --checkpoint-every 1000 --keep-checkpoints 5 --grid-every 1000 --progress-every 50
                                   --quality-every 0 --quality-samples 64 (FLD, recognisable share, memorisation; labelled data)
                                   --device auto|cpu|gpu --gpus 0 (all GPUs, data-parallel) --threads 0 --flip auto --export false
                                   --max-minutes 0 (no limit) --time-box 0 (none)]
                                   trains in this process; checkpoints, grids and the loss curve go to S3; a run
                                   with checkpoints resumes from the newest one; past --max-minutes the run pauses
                                   at its next step with a checkpoint (train again with the same --run to go on);
                                   past --time-box minutes of training (all attempts) the run ends there instead,
                                   its cosine decay fitted to the steps the machine reaches
                  sample-grid      --run ID --out FILE.png [--count 16 --seed 0 SAMPLER GUIDANCE]
                                   samples from the run's newest checkpoint (EMA weights)
                  evaluate         --run ID --mnist DIR [--samples 1000 --weights ema|trained --seed 0 --epochs 2
                                   SAMPLER GUIDANCE]
                                   MNIST quality of the run's samples: FLD beside the real-vs-real floor, the
                                   share of confidently recognised digits and the class histogram (the feature
                                   classifier is trained once on DIR and cached there as classifier-v1.bin)
                  evaluate         --run ID --data PATH [--samples 200 ... as above]
                                   the same for any labelled data set (emoji, CIFAR-10, IDX with labels, a folder
                                   per class): its classifier trains on 80 %, the metric compares with the other
                                   20 % (so at most a tenth of the set is sampled), plus the memorisation check
                  forward-strip    --data PATH --out FILE.png [--index 0 --timesteps 0,50,100,200,300,500,700,999
                                   --schedule linear|cosine --size 32 --seed 0]
                                   one image of the data set noised by the forward process at those timesteps
                  SAMPLER          --sampler ddim|ddpm|dpm++|unipc|euler|heun (unipc) --steps N (the sampler's
                                   default: 50 ddim, T ddpm, 20 dpm++/unipc/euler, 10 heun) --order 1-3 (dpm++, unipc;
                                   2) --spacing linspace|leading|trailing|karras (karras for euler/heun, else linspace)
                                   --eta 0 (ddim) --variance fixed_small|fixed_large (ddpm)
                  GUIDANCE         --guidance 1 (none) --guide-step N [--guide-run ID (the same run)]
                                   autoguidance (Karras et al. 2024): extrapolates the model's prediction away
                                   from a weaker checkpoint's, D_0 + w (D_1 - D_0); both use the --weights chosen
                  export           --run ID [--model NAME --weights ema|trained GUIDANCE]
                                   exports the run's newest checkpoint to ONNX, checks it against DJL and
                                   publishes unet.onnx, samples.png and manifest.json to ddpm-models/NAME/VERSION/
                                   (with GUIDANCE also guide.onnx: the sampler then serves the model autoguided),
                                   then ModelPublished on Kafka
                  upload-dataset   --name NAME --path FOLDER|FILE   uploads into ddpm-datasets/NAME/ and announces it
                  request-training --data NAME --preset ... (as train)  asks the trainer-service to train, via Kafka;
                                   past --max-minutes the service ends the run at its next step and publishes it
                                   (as train's --time-box: the cosine decay fitted to the steps it reaches)
                PATH is a folder of PNG/JPEG images, a zip or tar(.gz) of one, IDX files (MNIST) or CIFAR .bin batches.
                PRESET is one of %s.""".formatted(String.join(", ", UNetPresets.names()));
    }

    private static void train(Arguments a) {
        double maxMinutes = minutes(a, "train", "max-minutes");
        double timeBox = minutes(a, "train", "time-box");
        if (maxMinutes > 0 && timeBox > 0) {
            throw new Arguments.UsageException("train: --max-minutes (pause) and --time-box (end there) exclude each other");
        }
        DjlEngine.configureOffline((int) a.number("threads", 0));
        Device device = DjlEngine.select(a.string("device", "auto"), (int) a.number("gpus", 0));
        RunPlan plan = plan(a, Path.of(a.required("data")).getFileName().toString());
        UNetConfig arch = plan.settings().architecture();
        InMemoryImageSet data = new DatasetReader(arch.imageChannels(), arch.imageSize()).read(Path.of(a.required("data")));
        System.out.printf("%d images (%d skipped) from %s%n", data.size(), data.skipped().size(), a.required("data"));
        // --max-minutes pauses (resumable with the same command): here the person can simply go on.
        // --time-box ends the run as a requested run's maxMinutes does.
        TimeLimit pastLimit = TimeLimit.minutes(maxMinutes);
        try (ArtifactStore store = new ArtifactStore(s3())) {
            store.ensureBuckets(Buckets.ALL);
            if (Boolean.parseBoolean(a.string("export", "false"))) {
                try (EventPublisher events = new EventPublisher(kafka(), "/ddpm/cli")) {
                    new TrainingRun(plan, data, device, store, RunListener.NONE, publisher(store, events))
                            .run(pastLimit, timeBox);
                }
            } else {
                new TrainingRun(plan, data, device, store, RunListener.NONE, null).run(pastLimit, timeBox);
            }
            CheckpointManifest latest = new CheckpointStore(store).latest(plan.runId());
            long reached = latest.step();
            if (reached < plan.totalSteps() && latest.ended()) {
                System.out.printf("run %s ended at its %s-minute time box at step %d of %d (%.1f minutes trained); "
                        + "checkpoints, grids and loss.png under %s/%s/%n", plan.runId(), a.string("time-box", ""),
                        reached, plan.totalSteps(), latest.trainingSeconds() / 60, Buckets.CHECKPOINTS, plan.runId());
            } else if (reached < plan.totalSteps()) {
                System.out.printf("run %s stopped at its %s-minute limit at step %d of %d (checkpoint saved); "
                        + "train again with --run %s to go on%n", plan.runId(), a.string("max-minutes", ""), reached,
                        plan.totalSteps(), plan.runId());
            } else {
                System.out.printf("run %s done: checkpoints, grids and loss.png under %s/%s/%n", plan.runId(),
                        Buckets.CHECKPOINTS, plan.runId());
            }
        }
    }

    private static void export(Arguments a) {
        DjlEngine.configureOffline(0);
        Device device = DjlEngine.select(a.string("device", "auto"));
        String run = a.required("run");
        boolean ema = emaWeights(a);
        try (ArtifactStore store = new ArtifactStore(s3());
             EventPublisher events = new EventPublisher(kafka(), "/ddpm/cli")) {
            CheckpointStore checkpoints = new CheckpointStore(store);
            try (DiffusionNetwork network = checkpoints.restore(run, device);
                 Guidance guidance = Guidance.open(a, run, network, checkpoints, device)) {
                String model = a.string("model", checkpoints.latest(run).runId());
                ModelManifest manifest = publisher(store, events).publish(network, guidance.forPublishing(),
                        new ModelPublisher.Request(safe(model), run, ema, Map.of()));
                System.out.printf("published %s/%s/%s/manifest.json (step %d%s, parity %.1e) and announced it on %s%n",
                        Buckets.MODELS, manifest.name(), manifest.version(), manifest.training().step(),
                        guidance.description(), manifest.metrics().get("onnx_parity_max_abs_diff"), Topic.MODELS.topicName());
            }
        }
    }

    private static ModelPublisher publisher(ArtifactStore store, EventPublisher events) {
        return new ModelPublisher(store, ModelPublisher.Announcer.viaKafka(events), Clock.systemUTC());
    }

    /** The run the options describe, planned as the service plans a requested one. */
    private static RunPlan plan(Arguments a, String datasetName) {
        TrainingRequest request = trainingRequest(a, safe(datasetName), 0);
        return RunPlan.of(a.string("run", RunIds.next(request.modelName())), request,
                new RunPlan.Reporting((int) a.number("progress-every", 50), (int) a.number("grid-every", 1000), 0,
                        (int) a.number("quality-samples", RunPlan.DEFAULT_QUALITY_SAMPLES)));
    }

    /**
     * The training request the options describe: the same {@link TrainingRequest} the service takes,
     * so an option left out means what a request that leaves the field out means.
     *
     * @param maxMinutes the request's time limit (0: none)
     */
    private static TrainingRequest trainingRequest(Arguments a, String dataset, double maxMinutes) {
        String flip = a.choice("flip", "auto", "auto", "true", "false");
        return TrainingRequest.builder()
                .dataset(dataset)
                .modelName(a.string("model", dataset))
                .preset(a.string("preset", TrainingRequest.DEFAULT_PRESET))
                .schedule(Json.enumValue(BetaSchedule.class, a.choice("schedule", "linear", "linear", "cosine"),
                        "schedule"))
                .predictionType(Json.enumValue(PredictionType.class, a.choice("prediction", "epsilon", "epsilon", "v"),
                        "predictionType"))
                .steps(a.number("steps", 1000))
                .batchSize((int) a.number("batch", TrainingRequest.DEFAULT_BATCH_SIZE))
                .learningRate(a.decimal("lr", TrainingRequest.DEFAULT_LEARNING_RATE))
                .warmupSteps((int) a.number("warmup", 0))
                .emaDecay(a.decimal("ema", TrainingRequest.DEFAULT_EMA_DECAY))
                .seed(a.number("seed", 0))
                .checkpointEvery((int) a.number("checkpoint-every", TrainingRequest.DEFAULT_CHECKPOINT_EVERY))
                .learningRateDecay(Json.enumValue(LearningRateDecay.class, a.choice("lr-decay", "none", "none", "cosine"),
                        "learningRateDecay"))
                .snrGamma(a.decimal("snr-gamma", 0))
                .maxMinutes(maxMinutes)
                .keepCheckpoints((int) a.number("keep-checkpoints", TrainingRequest.DEFAULT_KEPT_CHECKPOINTS))
                .horizontalFlip(flip.equals("auto") ? null : Boolean.valueOf(flip))
                .qualityEvery((int) a.number("quality-every", 0))
                .build();
    }

    private static void sampleGrid(Arguments a) {
        DjlEngine.configureOffline(0);
        Device device = DjlEngine.select(a.string("device", "auto"));
        String run = a.required("run");
        try (ArtifactStore store = new ArtifactStore(s3())) {
            CheckpointStore checkpoints = new CheckpointStore(store);
            try (DiffusionNetwork network = checkpoints.restore(run, device);
                 Guidance guidance = Guidance.open(a, run, network, checkpoints, device)) {
                int count = (int) a.number("count", PreviewGrid.IMAGES);
                int c = network.architecture().imageChannels();
                int size = network.architecture().imageSize();
                SamplerOptions sampler = SamplerOptions.parse(a, dev.ddpm.core.api.SamplingRequest.DEFAULT_SAMPLER);
                float[][] samples = guidance.withWeights(true, network, () -> ReverseProcess.sample(guidance.denoiser(network),
                        sampler.schedulers(network.diffusion()), count, c * size * size, a.number("seed", 0), 0));
                Path out = Path.of(a.required("out"));
                Files.write(out, PreviewGrid.encode(samples, c, size));
                System.out.printf("%d samples of run %s (step %d, %s%s) written to %s%n", count, run, network.step(),
                        sampler.description(network.diffusion()), guidance.description(), out);
            } catch (IOException e) {
                throw new IllegalStateException("cannot write " + a.required("out") + ": " + e.getMessage(), e);
            }
        }
    }

    private static void evaluate(Arguments a) {
        if (a.string("data", null) != null) {
            evaluateLabelled(a);
            return;
        }
        boolean ema = emaWeights(a);
        SamplerOptions sampler = SamplerOptions.parse(a, dev.ddpm.core.api.SamplingRequest.DEFAULT_SAMPLER);
        DjlEngine.configureOffline(0);
        Device device = DjlEngine.select(a.string("device", "auto"));
        Path mnist = Path.of(a.required("mnist"));
        String run = a.required("run");
        int count = (int) a.number("samples", 1000);
        try (ArtifactStore store = new ArtifactStore(s3()); FeatureClassifier classifier = FeatureClassifier.mnist(device, 1)) {
            // Checked before the data set is read or the classifier trained, so a wrong run fails at once.
            CheckpointManifest manifest = new CheckpointStore(store).latest(run);
            int size = manifest.architecture().imageSize();
            // 28x28 (MNIST's own) to 32x32 samples are centred as the reader pads real digits; smaller
            // ones would be shrunken digits the classifier never saw, so their metrics would mislead.
            if (manifest.architecture().imageChannels() != 1 || size < 28 || size > FeatureClassifier.MNIST_SIZE) {
                throw new IllegalStateException("run " + run + " makes " + manifest.architecture().imageChannels() + "x"
                        + size + "x" + size + " images; the MNIST metrics need one channel at 28x28 to 32x32 "
                        + "(e.g. preset mnist-28 or mnist)");
            }
            DatasetReader reader = new DatasetReader(1, FeatureClassifier.MNIST_SIZE);
            InMemoryImageSet train = reader.read(mnist.resolve("train-images-idx3-ubyte"));
            InMemoryImageSet test = reader.read(mnist.resolve("t10k-images-idx3-ubyte"));
            int[] testLabels = IdxLabels.read(mnist.resolve("t10k-labels-idx1-ubyte"));
            Path cache = mnist.resolve("classifier-v1.bin");
            if (Files.exists(cache)) {
                classifier.load(Files.readAllBytes(cache), cache.toString());
            } else {
                classifier.train(train, IdxLabels.read(mnist.resolve("train-labels-idx1-ubyte")),
                        (int) a.number("epochs", 2), 64, 1, false);
                Files.write(cache, classifier.save());
            }
            System.out.println("feature classifier on the " + test.size() + " test digits: " + classifier.calibration(test, testLabels));
            CheckpointStore checkpoints = new CheckpointStore(store);
            try (DiffusionNetwork network = checkpoints.restore(run, device);
                 Guidance guidance = Guidance.open(a, run, network, checkpoints, device)) {
                long started = System.nanoTime();
                float[][] samples = guidance.withWeights(ema, network, () -> ReverseProcess.sample(guidance.denoiser(network),
                        sampler.schedulers(manifest.diffusion()), count, size * size, a.number("seed", 0), 0));
                double sampling = (System.nanoTime() - started) / 1e9;
                for (int i = 0; i < samples.length; i++) {
                    samples[i] = Pixels.centred(samples[i], size, FeatureClassifier.MNIST_SIZE);
                }
                float[][] real = new float[Math.min(count, test.size())][];
                float[][] reference = new float[real.length][];
                for (int i = 0; i < real.length; i++) {
                    real[i] = test.image(i);
                    reference[i] = train.image(i);
                }
                System.out.println("run " + run + " at step " + manifest.step() + " (" + (ema ? "ema" : "trained") + " weights, "
                        + sampler.description(manifest.diffusion()) + guidance.description() + "): "
                        + QualityReport.of(classifier, samples, real, reference)
                        + String.format(Locale.ROOT, "; sampling %.1f s", sampling));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read or write " + mnist + ": " + e.getMessage(), e);
        }
    }

    /** {@code evaluate --data}: the quality of a run's samples on any labelled data set ({@link QualityProbe}). */
    private static void evaluateLabelled(Arguments a) {
        boolean ema = emaWeights(a);
        SamplerOptions sampler = SamplerOptions.parse(a, dev.ddpm.core.api.SamplingRequest.DEFAULT_SAMPLER);
        DjlEngine.configureOffline(0);
        Device device = DjlEngine.select(a.string("device", "auto"));
        String run = a.required("run");
        try (ArtifactStore store = new ArtifactStore(s3())) {
            CheckpointStore checkpoints = new CheckpointStore(store);
            CheckpointManifest manifest = checkpoints.latest(run);
            int c = manifest.architecture().imageChannels();
            int size = manifest.architecture().imageSize();
            InMemoryImageSet data = new DatasetReader(c, size).read(Path.of(a.required("data")));
            long seed = a.number("seed", 0);
            try (QualityProbe probe = QualityProbe.train(data, (int) a.number("samples", 200), c == 3, device, seed);
                 DiffusionNetwork network = checkpoints.restore(run, device);
                 Guidance guidance = Guidance.open(a, run, network, checkpoints, device)) {
                long started = System.nanoTime();
                float[][] samples = guidance.withWeights(ema, network, () -> ReverseProcess.sample(guidance.denoiser(network),
                        sampler.schedulers(manifest.diffusion()), probe.samples(), c * size * size, seed, 0));
                double sampling = (System.nanoTime() - started) / 1e9;
                System.out.println("run " + run + " at step " + manifest.step() + " (" + (ema ? "ema" : "trained") + " weights, "
                        + sampler.description(manifest.diffusion()) + guidance.description() + "): " + probe.measure(samples)
                        + String.format(Locale.ROOT, "; sampling %.1f s", sampling));
            }
        }
    }

    /** {@code forward-strip}: one data set image at chosen timesteps of q(x_t | x_0) (Ho et al. eq. 4). */
    private static void forwardStrip(Arguments a) {
        int size = (int) a.number("size", 32);
        InMemoryImageSet data = new DatasetReader(3, size).read(Path.of(a.required("data")));
        int index = (int) a.number("index", 0);
        if (index < 0 || index >= data.size()) {
            throw new IllegalArgumentException("--index must be in 0.." + (data.size() - 1) + ", was " + index);
        }
        DiffusionConfig diffusion = new DiffusionConfig(1000,
                BetaSchedule.valueOf(a.choice("schedule", "linear", "linear", "cosine").toUpperCase(Locale.ROOT)), null, null,
                null, null, PredictionType.EPSILON);
        List<Integer> timesteps = new java.util.ArrayList<>();
        for (String t : a.string("timesteps", "0,50,100,200,300,500,700,999").split(",")) {
            try {
                timesteps.add(Integer.parseInt(t.trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--timesteps must be whole numbers separated by commas, got '" + t + "'");
            }
        }
        byte[] png = ImageEncoding.png(ForwardStrip.draw(data.image(index), 3, size, diffusion, timesteps, a.number("seed", 0)));
        Path out = Path.of(a.required("out"));
        try {
            Files.write(out, png);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write " + out + ": " + e.getMessage(), e);
        }
        System.out.printf("image %d of %s at t = %s (%s schedule) written to %s%n", index, a.required("data"), timesteps,
                diffusion.schedule().name().toLowerCase(Locale.ROOT), out);
    }

    private static Set<String> with(Set<String> shared, String... own) {
        Set<String> options = new java.util.HashSet<>(shared);
        options.addAll(List.of(own));
        return options;
    }

    /** {@code --weights ema|trained}: whether the EMA (default) or the trained weights are used. */
    private static boolean emaWeights(Arguments a) {
        return a.choice("weights", "ema", "ema", "trained").equals("ema");
    }

    private static void uploadDataset(Arguments a) {
        String name = safe(a.required("name"));
        Path path = Path.of(a.required("path"));
        try (ArtifactStore store = new ArtifactStore(s3()); Stream<Path> files = Files.isDirectory(path)
                ? Files.walk(path).filter(Files::isRegularFile) : Stream.of(path)) {
            store.ensureBuckets(Buckets.ALL);
            Path base = Files.isDirectory(path) ? path : path.getParent();
            long count = 0;
            for (Path file : files.sorted().toList()) {
                String key = name + "/" + base.relativize(file).toString().replace('\\', '/');
                store.put(Buckets.DATASETS, key, file, "application/octet-stream");
                count++;
            }
            try (EventPublisher publisher = new EventPublisher(kafka(), "/ddpm/cli")) {
                publisher.publishAndWait(CloudEvent.of("/ddpm/cli", new DatasetUpdated(name, null, count, "cli-upload")),
                        Duration.ofSeconds(30));
            }
            System.out.printf("%d files uploaded to %s/%s/%n", count, Buckets.DATASETS, name);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    /** {@code --max-minutes} or {@code --time-box}, checked before anything starts. */
    private static double minutes(Arguments a, String command, String option) {
        double minutes = a.decimal(option, 0);
        if (!(minutes >= 0) || Double.isInfinite(minutes)) {
            throw new Arguments.UsageException(command + ": --" + option + " must be 0 (no limit) or a number of minutes, was '"
                    + a.string(option, "") + "'");
        }
        return Math.min(minutes, TrainingRequest.MAX_MINUTES);
    }

    private static void requestTraining(Arguments a) {
        double maxMinutes = minutes(a, "request-training", "max-minutes");
        if (minutes(a, "request-training", "time-box") > 0) {
            throw new Arguments.UsageException("request-training: a requested run's time box is --max-minutes (the service "
                    + "ends the run there, its decay fitted); --time-box is train's");
        }
        TrainingRequest training = trainingRequest(a, safe(a.required("data")), maxMinutes);
        TrainingRequested request = new TrainingRequested(a.string("run", RunIds.next(training.modelName())), training,
                "cli");
        try (EventPublisher publisher = new EventPublisher(kafka(), "/ddpm/cli")) {
            publisher.publishAndWait(CloudEvent.of("/ddpm/cli", request), Duration.ofSeconds(30));
        }
        System.out.printf("training run %s requested (model %s on data set %s)%n", request.runId(),
                training.modelName(), training.dataset());
    }

    private static String safe(String name) {
        return name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]", "-").replaceAll("^[^a-z0-9]+", "");
    }

    private static S3Settings s3() {
        return new S3Settings(env("S3_ENDPOINT", "http://127.0.0.1:9000"), env("S3_ACCESS_KEY", "ddpm-local"),
                env("S3_SECRET_KEY", "ddpm-local-secret"), env("S3_REGION", "us-east-1"), Duration.ofSeconds(60));
    }

    private static KafkaSettings kafka() {
        return new KafkaSettings(env("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"), "trainer-cli");
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
