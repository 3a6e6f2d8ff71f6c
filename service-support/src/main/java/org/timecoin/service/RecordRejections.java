package org.timecoin.service;

import java.nio.charset.StandardCharsets;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;

/**
 * The one policy for a Kafka record a service cannot process; consumption goes on either way, so a poison record never
 * blocks a topic. Both are counted ({@code timecoin_<service>_records_rejected{topic, reason}}).
 * <ul>
 * <li>{@link #park}: a record another service of this stack wrote that cannot be read (a bug, or two versions side by
 * side) goes to {@code dead-letters} with its source topic and reason as headers, for the operator to look at.</li>
 * <li>{@link #drop}: a record that was read but whose content fails a check (a peer's bad signature, another chain) is
 * the sender's fault: dropped. Parking it would let any peer fill the dead-letter topic.</li>
 * </ul>
 */
public final class RecordRejections {
    public static final String SOURCE_TOPIC_HEADER = "timecoin-source-topic";
    public static final String REASON_HEADER = "timecoin-reason";
    private static final Logger LOG = Logger.getLogger(RecordRejections.class);

    private final String metric;
    private final MeterRegistry registry;
    private final Emitter<byte[]> deadLetters;

    /** @param service the service's name in the metric ({@code ledger}, {@code consensus}, {@code p2p}) */
    public RecordRejections(String service, MeterRegistry registry, Emitter<byte[]> deadLetters) {
        this.metric = "timecoin_" + service + "_records_rejected";
        this.registry = registry;
        this.deadLetters = deadLetters;
    }

    public void park(String topic, String reason, byte[] value) {
        count(topic, reason);
        LOG.warnf("a %s record could not be read (%s): parked on dead-letters", topic, reason);
        var headers = new RecordHeaders()
                .add(SOURCE_TOPIC_HEADER, topic.getBytes(StandardCharsets.UTF_8))
                .add(REASON_HEADER, reason.getBytes(StandardCharsets.UTF_8));
        deadLetters.send(Message.of(value).addMetadata(OutgoingKafkaRecordMetadata.<byte[]>builder().withHeaders(headers).build()));
    }

    public void drop(String topic, String reason) {
        count(topic, reason);
        LOG.debugf("dropped a %s record: %s", topic, reason);
    }

    private void count(String topic, String reason) {
        registry.counter(metric, "topic", topic, "reason", reason).increment();
    }
}
