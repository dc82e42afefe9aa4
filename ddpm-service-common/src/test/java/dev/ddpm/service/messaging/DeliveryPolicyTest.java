package dev.ddpm.service.messaging;

import dev.ddpm.core.messaging.Delivery;
import dev.ddpm.core.messaging.KafkaSettings;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The services' producers and the plain clients give up on a record when senders stop waiting for it. */
class DeliveryPolicyTest {

    private static final String CONNECTOR = "mp.messaging.connector.smallrye-kafka.";

    @Test
    void servicesProducersGiveUpBeforeSendersStopWaiting() throws IOException {
        Properties config = new Properties();
        try (InputStream in = getClass().getResourceAsStream("/META-INF/microprofile-config.properties")) {
            config.load(in);
        }
        long delivery = Long.parseLong(config.getProperty(CONNECTOR + "delivery.timeout.ms"));
        long request = Long.parseLong(config.getProperty(CONNECTOR + "request.timeout.ms"));
        // Left at Kafka's default, which Delivery.MAX_BLOCK states.
        long maxBlock = Long.parseLong(config.getProperty(CONNECTOR + "max.block.ms", "60000"));
        assertEquals(Delivery.TIMEOUT.toMillis(), delivery);
        assertEquals(Delivery.REQUEST_TIMEOUT.toMillis(), request);
        assertEquals(Delivery.MAX_BLOCK.toMillis(), maxBlock);
        assertTrue(
                Delivery.ACK_WAIT.toMillis() > maxBlock + delivery,
                "a sender must wait longer than its producer may block and then try");
        assertTrue(delivery >= request, "Kafka refuses a delivery timeout below the request timeout");
    }

    @Test
    void plainClientsUseTheSameTimeouts() {
        var producer = new KafkaSettings("127.0.0.1:9092", "test").producer();
        assertEquals((int) Delivery.TIMEOUT.toMillis(), producer.get(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG));
        assertEquals((int) Delivery.REQUEST_TIMEOUT.toMillis(), producer.get(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG));
        assertEquals(Delivery.MAX_BLOCK.toMillis(), producer.get(ProducerConfig.MAX_BLOCK_MS_CONFIG));
    }
}
