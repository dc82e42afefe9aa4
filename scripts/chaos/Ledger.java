import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The chaos suite's ledger (scripts/chaos-test.sh): every record of the given topics, from the
 * beginning to their end now, one line each: topic, TAB, the CloudEvents type (header ce_type, or
 * "type" of a structured event; "-" when neither), TAB, the record key, TAB, the value on one line.
 * Run from source with the broker's jars: java -cp "LIBS/kafka/*" Ledger.java BOOTSTRAP TOPIC...
 * No consumer group: nothing is committed, nothing in the platform sees this reader.
 */
public class Ledger {
    public static void main(String[] args) {
        Properties p = new Properties();
        p.put("bootstrap.servers", args[0]);
        p.put("key.deserializer", ByteArrayDeserializer.class.getName());
        p.put("value.deserializer", ByteArrayDeserializer.class.getName());
        p.put("enable.auto.commit", "false");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (int i = 1; i < args.length; i++) {
                consumer.partitionsFor(args[i], Duration.ofSeconds(30))
                        .forEach(info -> partitions.add(new TopicPartition(info.topic(), info.partition())));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read the topics to their end within 60 s");
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    Header type = r.headers().lastHeader("ce_type");
                    String value = r.value() == null ? "" : new String(r.value(), StandardCharsets.UTF_8);
                    String t = type != null ? new String(type.value(), StandardCharsets.UTF_8) : structuredType(value);
                    String key = r.key() == null ? "-" : new String(r.key(), StandardCharsets.UTF_8);
                    System.out.println(r.topic() + "\t" + t + "\t" + key + "\t" + value.replace('\n', ' ').replace('\t', ' '));
                }
            }
        }
    }

    private static String structuredType(String value) {
        int i = value.indexOf("\"type\"");
        if (i < 0) {
            return "-";
        }
        int start = value.indexOf('"', value.indexOf(':', i) + 1);
        int stop = start < 0 ? -1 : value.indexOf('"', start + 1);
        return stop < 0 ? "-" : value.substring(start + 1, stop);
    }
}
