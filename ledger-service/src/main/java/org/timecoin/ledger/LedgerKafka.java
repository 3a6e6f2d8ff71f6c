package org.timecoin.ledger;

import java.util.List;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxVerdict;
import org.timecoin.protocol.stack.StackRecords;
import org.timecoin.service.KeyedRecords;
import org.timecoin.service.RecordRejections;

import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.smallrye.reactive.messaging.TracingMetadata;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;

/**
 * What every Kafka handler of the ledger shares: the records it publishes (verdicts, finalities and blocks applied,
 * answers to its consensus), the parking of a record it cannot process, and the retrying of database work, so that
 * a record is acknowledged only once its work is stored. One copy, whichever topic a handler consumes.
 */
@ApplicationScoped
public class LedgerKafka {
    private static final Logger LOG = Logger.getLogger(LedgerKafka.class);

    private final MeterRegistry registry;

    @Inject
    @Channel("tx-verdicts")
    Emitter<byte[]> verdictsOut;
    @Inject
    @Channel("blocks-applied")
    Emitter<byte[]> applied;
    @Inject
    @Channel("tx-applied")
    Emitter<byte[]> txApplied;
    @Inject
    @Channel("proposals-responses")
    Emitter<byte[]> proposals;
    @Inject
    @Channel("dead-letters")
    Emitter<byte[]> deadLetters;
    @ConfigProperty(name = "quarkus.uuid")
    String replicaId;

    private RecordRejections rejections;

    private final Tracer tracer;

    public LedgerKafka(MeterRegistry registry, OpenTelemetry openTelemetry) {
        this.registry = registry;
        this.tracer = openTelemetry.getTracer("org.timecoin.ledger");
    }

    @jakarta.annotation.PostConstruct
    void init() {
        rejections = new RecordRejections("ledger", registry, deadLetters);
    }

    /** Announces a block applied here (or the tip this ledger has) on blocks.applied. */
    void announce(ChainStore.Applied a) {
        send(applied, StackRecords.heightKey(a.height()),
                StackRecords.encode(new StackRecords.BlockApplied(a.height(), a.hash(), a.timestampMillis(), a.utxoCommitment(), a.nextSet())));
    }

    /**
     * Tells the stack which transactions' finality this ledger has committed, outputs included, and what they spent: one
     * record per poll. The gateway answers finality waits from it (instead of a status request per transaction); the
     * other replicas wake their orphans and drop the spent outpoints from their caches.
     */
    void announceApplied(List<Transaction> txs) {
        for (byte[] record : StackRecords.encodeApplied(txs)) {
            var headers = new org.apache.kafka.common.header.internals.RecordHeaders().add(REPLICA_HEADER, replicaId.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            txApplied.send(Message.of(record).addMetadata(OutgoingKafkaRecordMetadata.<byte[]>builder().withHeaders(headers).build()));
        }
    }

    /** Which replica announced a tx.applied record: its own are skipped when it follows the others'. */
    static final String REPLICA_HEADER = "timecoin-replica";

    /** Whether this replica announced {@code record} (on tx.applied). */
    boolean announcedHere(ConsumerRecord<byte[], byte[]> record) {
        Header from = record.headers().lastHeader(REPLICA_HEADER);
        return from != null && java.util.Arrays.equals(from.value(), replicaId.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * Publishes the verdicts one piece of work reached on tx.verdicts, as one record (more only past
     * {@link StackRecords#MAX_VERDICTS}). A record continues the trace of its first traced submission ({@code traces}: a
     * context per transaction, null or without a span where none) and links the others' (up to the tracer's link limit), so each
     * transaction can still be followed from its submission to the vote batch that counts its verdict.
     */
    void verdicts(List<Transaction> txs, List<LockStore.Verdict> verdicts, List<Context> traces) {
        List<StackRecords.Verdict> out = new java.util.ArrayList<>(txs.size());
        for (int i = 0; i < txs.size(); i++) {
            LockStore.Verdict v = verdicts.get(i);
            out.add(new StackRecords.Verdict(txs.get(i).txid(), v.approved() ? TxVerdict.APPROVE : TxVerdict.REJECT, v.approved() ? "" : v.reason().name()));
        }
        List<Context> traced = traces.stream().filter(c -> c != null && Span.fromContext(c).getSpanContext().isValid()).toList();
        for (byte[] record : StackRecords.encodeVerdicts(out)) {
            if (traced.isEmpty()) {
                verdictsOut.send(record);
                continue;
            }
            SpanBuilder batch = tracer.spanBuilder("tx.verdicts batch").setParent(traced.get(0)).setAttribute("timecoin.verdicts", out.size());
            for (Context other : traced.subList(1, traced.size())) batch.addLink(Span.fromContext(other).getSpanContext());
            Span span = batch.startSpan();
            try {
                verdictsOut.send(Message.of(record).addMetadata(TracingMetadata.withCurrent(traced.get(0).with(span))));
            } finally {
                span.end();
            }
        }
    }

    /** Answers a request of this node's consensus on proposals.responses. */
    void answer(StackRecords.ProposalRequest request, StackRecords.ProposalResponse response) {
        send(proposals, StackRecords.heightKey(request.height()), StackRecords.encode(response));
    }

    private static void send(Emitter<byte[]> emitter, byte[] key, byte[] value) {
        KeyedRecords.send(emitter, key, value);
    }

    /** A record that cannot be processed: counted and parked on dead-letters (see {@link RecordRejections}). */
    void rejected(String topic, String reason, byte[] value) {
        rejections.park(topic, reason, value);
    }

    /** Retries database work with backoff (database down: wait, do not acknowledge, resume by itself). */
    <T> T durably(Supplier<T> work) {
        long backoff = 100;
        while (true) {
            try {
                return work.get();
            } catch (LedgerDb.DatabaseUnavailableException e) {
                registry.counter("timecoin_ledger_database_retries").increment();
                LOG.warnf("database unavailable (%s); retrying in %d ms", e.getMessage(), backoff);
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                backoff = Math.min(5_000, backoff * 2);
            }
        }
    }
}
