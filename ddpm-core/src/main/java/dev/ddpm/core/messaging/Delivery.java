package dev.ddpm.core.messaging;

import java.time.Duration;

/**
 * The one timeout policy for sending events. A producer gives up on a record after
 * {@link #MAX_BLOCK} waiting for the broker's metadata before the send (Kafka's {@code max.block.ms})
 * plus {@link #TIMEOUT} once sent (Kafka's {@code delivery.timeout.ms}, retries included); whoever
 * waits for an acknowledgement waits {@link #ACK_WAIT}, a little longer than both. So a wait that times out means the record
 * will never arrive (its producer has failed it), and a caller may undo what the event would have
 * announced, or answer that nothing was sent, without the record turning up afterwards.
 */
public final class Delivery {

    /** Kafka's {@code delivery.timeout.ms}: long enough to ride out a broker restart. */
    public static final Duration TIMEOUT = Duration.ofSeconds(60);
    /** Kafka's {@code request.timeout.ms}: one attempt; the delivery timeout must cover it plus linger. */
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);
    /**
     * Kafka's {@code max.block.ms}: how long a send waits for the broker's metadata before it is sent;
     * Kafka's default, so a service's first sends wait for the topics it provisions at start.
     */
    public static final Duration MAX_BLOCK = Duration.ofSeconds(60);
    /** How long a sender waits for the broker's acknowledgement before it treats the send as failed. */
    public static final Duration ACK_WAIT = MAX_BLOCK.plus(TIMEOUT).plusSeconds(5);

    private Delivery() {}
}
