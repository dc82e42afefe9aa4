package dev.ddpm.trainer.run;

import dev.ddpm.core.storage.ObjectRef;

/** Where a run reports what happens to it (Kafka events in the service, the console in the CLI). */
public interface RunListener {

    void started(long parameterCount, String device, long startStep, long totalSteps);

    void progress(RunProgress progress);

    void checkpointSaved(long step, ObjectRef checkpoint);

    /** @param modelVersion the version published from the final weights, or null when the run does not publish */
    void completed(long step, double loss, ObjectRef checkpoint, String modelVersion);

    void failed(long step, String reason);

    /**
     * The run stopped because it was cancelled, a terminal state like completed and failed: its
     * checkpoints stay and nothing was published. Does nothing unless a listener reports it.
     *
     * @param step        the step of its last checkpoint (0 when it never trained)
     * @param requestedBy who cancelled it, if known
     */
    default void cancelled(long step, String requestedBy) {}

    /** Does nothing; for runs nobody watches. */
    RunListener NONE = new RunListener() {
        @Override
        public void started(long parameterCount, String device, long startStep, long totalSteps) {}

        @Override
        public void progress(RunProgress progress) {}

        @Override
        public void checkpointSaved(long step, ObjectRef checkpoint) {}

        @Override
        public void completed(long step, double loss, ObjectRef checkpoint, String modelVersion) {}

        @Override
        public void failed(long step, String reason) {}
    };
}
