package org.timecoin.service;

import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;

import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;

/** Sending a Kafka record under a key: records of one key keep their order (one partition). */
public final class KeyedRecords {
    private KeyedRecords() {
    }

    public static void send(Emitter<byte[]> emitter, byte[] key, byte[] value) {
        emitter.send(message(key, value));
    }

    /** The record as a message, for more metadata (a trace context) before it is sent. */
    public static Message<byte[]> message(byte[] key, byte[] value) {
        return Message.of(value).addMetadata(OutgoingKafkaRecordMetadata.<byte[]>builder().withKey(key).build());
    }
}
