package dev.ddpm.trainer.config;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.util.Optional;

/** The trainer's settings (prefix {@code trainer}); see docs/configuration.md. */
@ConfigMapping(prefix = "trainer")
public interface TrainerConfig {

    /** auto (a GPU when PyTorch sees one), cpu, or gpu. */
    @WithDefault("auto")
    String device();

    /** With several GPUs visible: how many train one run together, data-parallel (0 = all). */
    @WithDefault("0")
    int gpus();

    /** Intra-op threads of PyTorch on CPU; 0 = one per core. */
    @WithDefault("0")
    int threads();

    /** Consume TrainingRequested events from Kafka. Off for a trainer that only serves its REST API. */
    @WithDefault("true")
    boolean consumeRequests();

    /** Steps between progress reports (log line and TrainingProgress event). */
    @WithDefault("50")
    int progressEvery();

    /** Steps between sample grids stored with the run. */
    @WithDefault("1000")
    int gridEvery();

    /**
     * Samples each quality measurement generates, for runs whose request sets qualityEvery (fewer
     * when a fifth of the data set, held out for the metric, is less than twice this).
     */
    @WithDefault("64")
    int qualitySamples();

    /** Where data sets are downloaded to; a temporary folder when absent. */
    Optional<Path> workDir();

    /**
     * Starts of one run without progress (a newer checkpoint) before it ends as failed: a trainer killed
     * mid-run, e.g. for memory, would otherwise retry it forever.
     */
    @WithDefault("3")
    int maxAttempts();

    /**
     * The memory a run may use (e.g. 8G), against which its estimate is checked before it starts; when
     * absent, the GPU's memory, else the container's limit or the machine's memory, less the JVM heap.
     */
    Optional<MemorySize> memoryLimit();

    /** Publishing models from runs. */
    Export export();

    /** The key published manifests are signed with (docs/architecture.md, "Signed manifests"). */
    Signing signing();

    interface Signing {

        /** The Ed25519 private key, PKCS#8 PEM or its base64 DER body (for an environment variable). */
        Optional<String> privateKey();

        /** A file holding the Ed25519 private key as PEM (a mounted Secret); instead of {@code private-key}. */
        Optional<Path> privateKeyFile();
    }

    /** What one data set may expand to; a run past a bound fails naming it (docs/api.md, "Limits"). */
    Dataset dataset();

    interface Dataset {

        /** Bytes read from the data set after decompression (zip, tar, gzip), in all. */
        @WithDefault("2147483648")
        long maxDecompressedBytes();

        /** Images in the data set. */
        @WithDefault("200000")
        int maxImages();

        /** Pixels of one image, read from its header before it is decoded. */
        @WithDefault("16777216")
        long maxPixels();
    }

    interface Export {

        /** Export, verify and publish the EMA weights when a run completes. */
        @WithDefault("true")
        boolean onCompletion();

        /** Also publish every this many checkpoints during a run (0: only at the end). */
        @WithDefault("0")
        int everyCheckpoints();
    }
}
