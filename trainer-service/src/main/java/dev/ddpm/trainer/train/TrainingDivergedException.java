package dev.ddpm.trainer.train;

/** Training produced non-finite losses or gradients step after step; the run cannot go on. */
public class TrainingDivergedException extends RuntimeException {

    public TrainingDivergedException(String message) {
        super(message);
    }
}
