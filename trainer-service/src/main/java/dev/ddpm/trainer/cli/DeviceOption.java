package dev.ddpm.trainer.cli;

import ai.djl.Device;
import dev.ddpm.trainer.train.DjlEngine;
import picocli.CommandLine.Option;

/** {@code --device} of the commands that run one network (sampling, evaluation, export). */
final class DeviceOption {

    @Option(
            names = "--device",
            paramLabel = "DEVICE",
            defaultValue = "auto",
            description = "auto, cpu or gpu (default: ${DEFAULT-VALUE})")
    private String device;

    /** The engine set up for this process (its default threads) and the device asked for. */
    Device select() {
        DjlEngine.configureOffline(0);
        return DjlEngine.select(device);
    }
}
