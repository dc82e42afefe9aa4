package dev.ddpm.sampler.batching;

/** Whose request it is: someone waiting on the call, or an asynchronous job from ddpm.sample-jobs. */
public enum Priority {
    INTERACTIVE,
    BACKGROUND
}
