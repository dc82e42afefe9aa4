package dev.ddpm.core.storage;

import java.util.List;

/** The platform's S3 buckets and their key layouts (docs/architecture.md, "Objects"). */
public final class Buckets {

    /** {@code {dataset}/...}: image folders, archives, IDX files. */
    public static final String DATASETS = "ddpm-datasets";
    /** {@code {run}/step-{n}/...} and {@code {run}/latest.json}, written last. */
    public static final String CHECKPOINTS = "ddpm-checkpoints";
    /** {@code {model}/{version}/unet.onnx, samples.png, manifest.json.sig, manifest.json}; manifest written last. */
    public static final String MODELS = "ddpm-models";
    /** {@code {job}/...}: results of asynchronous sampling jobs. */
    public static final String SAMPLES = "ddpm-samples";

    public static final List<String> ALL = List.of(DATASETS, CHECKPOINTS, MODELS, SAMPLES);

    private Buckets() {}
}
