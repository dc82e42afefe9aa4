package dev.ddpm.trainer.cli;

import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.DatasetUpdated;
import dev.ddpm.core.messaging.EventPublisher;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** {@code upload-dataset}: a folder or file into the datasets bucket, announced with DatasetUpdated. */
@Command(
        name = "upload-dataset",
        sortOptions = false,
        description = "Uploads into ddpm-datasets/NAME/ and announces it on Kafka.")
final class UploadDatasetCommand implements Runnable {

    @Spec
    private CommandSpec spec;

    @Option(names = "--name", paramLabel = "NAME", required = true, description = "the data set's name")
    private String name;

    @Option(names = "--path", paramLabel = "FOLDER|FILE", required = true, description = "what is uploaded")
    private Path path;

    @Mixin
    private Connections connections;

    @Override
    public void run() {
        String dataset = TrainerCli.safeName(name);
        try (ArtifactStore store = connections.store();
                Stream<Path> files =
                        Files.isDirectory(path) ? Files.walk(path).filter(Files::isRegularFile) : Stream.of(path)) {
            store.ensureBuckets(Buckets.ALL);
            // A bare file name has no parent: its key is then its name alone.
            Path base = Files.isDirectory(path)
                    ? path.toAbsolutePath()
                    : path.toAbsolutePath().getParent();
            long count = 0;
            for (Path file : files.sorted().toList()) {
                String key = dataset + "/"
                        + base.relativize(file.toAbsolutePath()).toString().replace('\\', '/');
                store.put(Buckets.DATASETS, key, file, "application/octet-stream");
                count++;
            }
            try (EventPublisher publisher = new EventPublisher(connections.kafka(), Connections.EVENT_SOURCE)) {
                publisher.publishAndWait(CloudEvent.of(
                        Connections.EVENT_SOURCE, new DatasetUpdated(dataset, null, count, "cli-upload")));
            }
            spec.commandLine().getOut().printf("%d files uploaded to %s/%s/%n", count, Buckets.DATASETS, dataset);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }
}
