package dev.ddpm.sampler.batching;

import java.time.Duration;

/**
 * The batcher's heartbeat as liveness reads it.
 *
 * @param loopRunning   whether the loop thread is alive
 * @param heldRequests  requests the batcher holds (waiting or running)
 * @param sinceLastTurn time since the loop last completed a turn; zero while it holds nothing, since
 *                      an idle loop has nothing to be late with
 */
public record TurnGap(boolean loopRunning, int heldRequests, Duration sinceLastTurn) {}
