package dev.ddpm.service.messaging;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import java.util.concurrent.CompletionStage;

/**
 * Where a consumed record goes when it cannot be decoded or its handling fails with any exception:
 * the message is nacked, so the channel's {@code dead-letter-queue} failure strategy writes it to
 * {@code <topic>.dlq} with the error in its headers and the channel goes on with the next record.
 * Each one is logged with its coordinates and counted in {@code ddpm_messages_dead_lettered_total}.
 */
@ApplicationScoped
public class DeadLetters {

    private static final Logger LOG = Logger.getLogger(DeadLetters.class);

    private final MeterRegistry meters;

    public DeadLetters(MeterRegistry meters) {
        this.meters = meters;
    }

    /** Something that handles a consumed record and may throw anything. */
    @FunctionalInterface
    public interface Handling {
        void run() throws Exception;
    }

    /**
     * Runs {@code handling} for {@code message}: acknowledged when it returns, sent to the dead-letter
     * topic when it throws, {@code Error}s included (nothing a record does may end the channel).
     */
    public CompletionStage<Void> acknowledgeAfter(String channel, Message<?> message, Handling handling) {
        try {
            handling.run();
        } catch (Throwable e) {
            return send(channel, message, e);
        }
        return message.ack();
    }

    public CompletionStage<Void> send(String channel, Message<?> message, Throwable error) {
        LOG.warnf(
                "%s: record %s goes to the dead-letter topic: %s",
                channel, EventMessages.coordinates(message), describe(error));
        counter(channel).increment();
        return message.nack(error);
    }

    private Counter counter(String channel) {
        return Counter.builder("ddpm.messages.dead.lettered")
                .description("Consumed records sent to their topic's dead-letter topic")
                .tag("channel", channel)
                .register(meters);
    }

    private static String describe(Throwable error) {
        return error.getMessage() == null
                ? error.getClass().getName()
                : error.getClass().getSimpleName() + ": " + error.getMessage();
    }
}
