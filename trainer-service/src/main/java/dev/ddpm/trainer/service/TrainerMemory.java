package dev.ddpm.trainer.service;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The memory a run's tensors may take on this trainer: a GPU's own memory, or on a CPU what the
 * process may use natively: the container's memory limit (cgroup v2, then v1) or the machine's memory,
 * less the JVM heap's maximum, which libtorch cannot use.
 */
final class TrainerMemory {

    private static final Logger LOG = Logger.getLogger(TrainerMemory.class);
    /** cgroup v2, then v1; v1 reports "no limit" as a number near 2^63. */
    private static final List<Path> CGROUP_LIMITS =
            List.of(Path.of("/sys/fs/cgroup/memory.max"), Path.of("/sys/fs/cgroup/memory/memory.limit_in_bytes"));

    private TrainerMemory() {}

    /** The bytes a run on {@code device} may use: {@code configured} when set. */
    static long available(Device device, Optional<Long> configured) {
        if (configured.isPresent()) {
            return configured.get();
        }
        if (device.isGpu()) {
            try {
                return CudaUtils.getGpuMemory(device).getMax();
            } catch (RuntimeException | LinkageError e) {
                LOG.warnf("the memory of %s is unknown (%s); runs are checked against the host's", device, e);
            }
        }
        long physical = cgroupLimit().orElseGet(TrainerMemory::physical);
        return Math.max(0, physical - Runtime.getRuntime().maxMemory());
    }

    /** The container's memory limit, if it has one. */
    static Optional<Long> cgroupLimit() {
        for (Path path : CGROUP_LIMITS) {
            try {
                if (Files.isReadable(path)) {
                    return parseLimit(Files.readString(path));
                }
            } catch (IOException e) {
                LOG.debugf("%s unreadable: %s", path, e.getMessage());
            }
        }
        return Optional.empty();
    }

    /** A cgroup limit file's value: empty for "max" (v2) or a v1 value past any machine's memory. */
    static Optional<Long> parseLimit(String text) {
        String value = text.trim();
        if (value.isEmpty() || value.equals("max")) {
            return Optional.empty();
        }
        try {
            long limit = Long.parseLong(value);
            return limit >= (1L << 60) ? Optional.empty() : Optional.of(limit);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static long physical() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize();
    }
}
