package dev.ddpm.trainer.cli;

import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code datasets}: the data sets in the datasets bucket (upload-dataset adds them). */
@Command(
        name = "datasets",
        synopsisSubcommandLabel = "COMMAND",
        description = "The data sets in ddpm-datasets.",
        subcommands = {DatasetsCommand.Delete.class})
final class DatasetsCommand implements Runnable {

    @Spec
    private CommandSpec spec;

    /** Without a subcommand: the subcommands. */
    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * {@code datasets delete NAME}: every object under {@code ddpm-datasets/NAME/}. Nothing is
     * announced: a data set change would ask the retraining policy to retrain on what is gone.
     */
    @Command(
            name = "delete",
            description = "Deletes every object under ddpm-datasets/NAME/. Models trained on it stay.")
    static final class Delete implements Runnable {

        @Spec
        private CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME", description = "the data set")
        private String name;

        @Mixin
        private Connections connections;

        @Override
        public void run() {
            String dataset = TrainerCli.safeName(name);
            if (dataset.isEmpty()) {
                throw new IllegalArgumentException("'" + name + "' names no data set");
            }
            try (ArtifactStore store = connections.store()) {
                int deleted = store.deleteAll(Buckets.DATASETS, dataset + "/");
                if (deleted == 0) {
                    throw new IllegalStateException("no data set '" + dataset + "' in " + Buckets.DATASETS);
                }
                spec.commandLine()
                        .getOut()
                        .printf("%d files deleted from %s/%s/%n", deleted, Buckets.DATASETS, dataset);
            }
        }
    }
}
