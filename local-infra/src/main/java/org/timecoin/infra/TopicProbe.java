package org.timecoin.infra;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;

/**
 * A test's view of a stack's topics: publishes records and waits (Awaitility, no sleeps) for records that decode into
 * what the test expects. Reads every watched topic from the beginning with a fresh consumer group.
 */
public final class TopicProbe implements AutoCloseable {
    private final String prefix;
    private final KafkaProducer<byte[], byte[]> producer;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final List<ConsumerRecord<byte[], byte[]>> seen = new ArrayList<>();

    /** On the broker of {@code kafka}, as its admin (a probe plays any service of the stack). */
    public TopicProbe(LocalKafka kafka, String prefix, List<String> watched) {
        this(kafka.adminConfig(), prefix, watched);
    }

    /** With {@code client}: the broker's address and a login ({@link LocalKafka#clientConfig}). */
    public TopicProbe(Map<String, Object> client, String prefix, List<String> watched) {
        this.prefix = prefix;
        Map<String, Object> producerConfig = new java.util.HashMap<>(client);
        producerConfig.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        producer = new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer());
        Properties p = new Properties();
        p.putAll(client);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "probe-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(watched.stream().map(t -> prefix + t).toList());
    }

    public void publish(String topic, byte[] key, byte[] value) {
        send(new ProducerRecord<>(prefix + topic, key, value));
    }

    private void send(ProducerRecord<byte[], byte[]> r) {
        try {
            producer.send(r).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("publishing to " + r.topic(), e);
        }
    }

    public void publish(String topic, byte[] value) {
        publish(topic, null, value);
    }

    /** With record headers (trace context, for instance). */
    public void publish(String topic, byte[] value, Map<String, String> headers) {
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(prefix + topic, null, value);
        headers.forEach((k, v) -> r.headers().add(k, v.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        send(r);
    }

    /** The value of a record header as text, or null. */
    public static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Sends without waiting for each acknowledgement (bulk), then flushes. */
    public void publishAll(String topic, List<byte[][]> keyValues) {
        for (byte[][] kv : keyValues) producer.send(new ProducerRecord<>(prefix + topic, kv[0], kv[1]));
        producer.flush();
    }

    /** Every record on {@code topic} so far for which {@code pick} returns non-null, once there are at least {@code atLeast}. */
    public <T> List<T> collect(String topic, Function<byte[], T> pick, int atLeast, Duration timeout) {
        return collectItems(topic, v -> {
            T t = pick.apply(v);
            return t == null ? List.of() : List.of(t);
        }, atLeast, timeout);
    }

    /**
     * What {@code items} picks from each record on {@code topic} so far (records that carry many, such as tx.verdicts),
     * in order, once there are at least {@code atLeast}.
     */
    public <T> List<T> collectItems(String topic, Function<byte[], List<T>> items, int atLeast, Duration timeout) {
        List<T> found = new ArrayList<>();
        Awaitility.await().atMost(timeout).pollInterval(Duration.ofMillis(50)).until(() -> {
            consumer.poll(Duration.ofMillis(100)).forEach(seen::add);
            found.clear();
            for (var r : seen) {
                if (r.topic().equals(prefix + topic)) found.addAll(items.apply(r.value()));
            }
            return found.size() >= atLeast;
        });
        return found;
    }

    /** The first record on {@code topic} for which {@code pick} returns non-null. */
    public <T> T await(String topic, Function<byte[], T> pick) {
        return collect(topic, pick, 1, Duration.ofSeconds(30)).get(0);
    }

    /** Records seen so far (with headers), in arrival order. */
    public List<ConsumerRecord<byte[], byte[]>> seen() {
        return seen;
    }

    @Override
    public void close() {
        producer.close();
        consumer.close();
    }
}
