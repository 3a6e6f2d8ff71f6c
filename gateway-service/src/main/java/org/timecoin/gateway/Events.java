package org.timecoin.gateway;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.timecoin.protocol.codec.Hex;
import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.model.TxVerdict;
import org.timecoin.protocol.stack.StackRecords;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.operators.multi.processors.BroadcastProcessor;

/**
 * Live events of this stack, from its topics (each gateway instance reads them under its own consumer group, from
 * the latest offset: these are notifications; the ledger stays the source of truth). They wake finality long-polls,
 * feed the Server-Sent Events stream and measure submit-to-final latency for transactions submitted here.
 */
@ApplicationScoped
public class Events {
    /** One event of the SSE stream. */
    public record Event(String type, long height, String hash, String txid, String status, String reason, String finalityCertificate) {
        static Event block(long height, Hash hash) {
            return new Event("block", height, hash.hex(), null, null, null, null);
        }
    }

    private final BroadcastProcessor<Event> stream = BroadcastProcessor.create();
    private final Map<Hash, Long> submittedAt;
    private final Recent<Event> outcomes;
    private final Recent<Boolean> applied;
    private final Timer finality;
    private final Timer ledgerCatchUp;
    private final MeterRegistry registry;
    private volatile long tipHeight = -1;

    public Events(MeterRegistry registry, GatewaySettings settings) {
        this.registry = registry;
        int capacity = settings.recentSubmissions();
        this.submittedAt = bounded(capacity);
        this.outcomes = new Recent<>(settings.recentOutcomes(), settings.maxWaits());
        this.applied = new Recent<>(settings.recentOutcomes(), settings.maxWaits());
        this.finality = Timer.builder("timecoin_gateway_finality").description("submit (here) to finality certificate")
                .publishPercentiles(0.5, 0.99).publishPercentileHistogram().register(registry);
        this.ledgerCatchUp = Timer.builder("timecoin_gateway_ledger_catch_up").description("finality event here to this node's ledger reporting it final")
                .publishPercentiles(0.5, 0.99).register(registry);
    }

    private static <V> Map<Hash, V> bounded(int capacity) {
        return java.util.Collections.synchronizedMap(new LinkedHashMap<>(1024, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Hash, V> eldest) {
                return size() > capacity;
            }
        });
    }

    /** Transactions with a finality or applied wait in progress (bounded; each wait leaves when answered or timed out). */
    public int waiting() {
        return outcomes.waiting() + applied.waiting();
    }

    public Timer ledgerCatchUpTimer() {
        return ledgerCatchUp;
    }

    public Multi<Event> stream() {
        return stream;
    }

    public long tipHeight() {
        return tipHeight;
    }

    public void submitted(Hash txid) {
        submittedAt.putIfAbsent(txid, System.nanoTime());
    }

    /** Submitted here lately (the timer of its finality still running), or its outcome came lately. */
    public boolean recentlySubmitted(Hash txid) {
        return submittedAt.containsKey(txid) || outcomes.knows(txid);
    }

    /** Submitted through this instance and not yet settled: its outcome will come as an event here. */
    public boolean pendingHere(Hash txid) {
        return submittedAt.containsKey(txid);
    }

    public Timer finalityTimer() {
        return finality;
    }

    /**
     * Completes with the transaction's outcome event, or null after {@code timeoutMillis}. An outcome that came before
     * the wait began (a wallet asks a moment after submitting; under load the certificate can be faster) is answered
     * from the recent outcomes: the wait is registered first, then they are read, so no outcome falls in between.
     */
    public CompletableFuture<Event> await(Hash txid, long timeoutMillis) {
        return outcomes.await(txid, timeoutMillis);
    }

    /**
     * Completes with true once this node's ledger announces (tx.applied) that it committed the transaction's finality,
     * or false after {@code timeoutMillis}; an announcement that came before the wait began counts.
     */
    public CompletableFuture<Boolean> awaitApplied(Hash txid, long timeoutMillis) {
        return applied.await(txid, timeoutMillis).thenApply(Boolean.TRUE::equals);
    }

    private void outcome(Hash txid, Event e) {
        outcomes.arrived(txid, e);
        stream.onNext(e);
    }

    /**
     * Waits for something that happens once per transaction, and the last {@code capacity} of them: a wait is
     * registered first, then the recent ones are read, so nothing that arrives in between is missed.
     */
    private static final class Recent<V> {
        /** The waits for one transaction share a future; the last one to time out takes it away. */
        private record Waiting<V>(CompletableFuture<V> future, int count) {
        }

        private final Map<Hash, Waiting<V>> waiters = new ConcurrentHashMap<>();
        private final Map<Hash, V> recent;
        private final int maxWaiters;

        Recent(int capacity, int maxWaiters) {
            this.recent = bounded(capacity);
            this.maxWaiters = maxWaiters;
        }

        boolean knows(Hash txid) {
            return recent.containsKey(txid);
        }

        int waiting() {
            return waiters.size();
        }

        CompletableFuture<V> await(Hash txid, long timeoutMillis) {
            if (waiters.size() >= maxWaiters && !waiters.containsKey(txid)) {
                throw new ApiException(503, "TOO_MANY_WAITERS", "too many finality waits in progress; poll the status instead");
            }
            CompletableFuture<V> f = waiters.compute(txid, (k, w) -> w == null ? new Waiting<>(new CompletableFuture<>(), 1)
                    : new Waiting<>(w.future(), w.count() + 1)).future();
            V already = recent.get(txid);
            if (already != null) arrived(txid, already);
            CompletableFuture<V> mine = f.copy().completeOnTimeout(null, timeoutMillis, TimeUnit.MILLISECONDS);
            mine.thenRun(() -> { // answered or timed out: this wait no longer holds the shared future
                waiters.computeIfPresent(txid, (k, w) -> w.future() != f ? w : w.count() <= 1 ? null : new Waiting<>(f, w.count() - 1));
            });
            return mine;
        }

        void arrived(Hash txid, V value) {
            recent.put(txid, value);
            Waiting<V> w = waiters.remove(txid);
            if (w != null) w.future().complete(value);
        }
    }

    /** One poll of outcome records (batch mode; each record holds the outcomes of one consensus event). */
    @Incoming("tx-finalized")
    public void onOutcomes(List<byte[]> values) {
        for (byte[] value : values) onOutcome(value);
    }

    private void onOutcome(byte[] value) {
        List<StackRecords.TxOutcome> outcomes;
        try {
            outcomes = StackRecords.decodeTxOutcomes(value).outcomes();
        } catch (ProtocolException e) {
            rejected("tx.finalized", e.reason().name());
            return;
        }
        for (StackRecords.TxOutcome o : outcomes) {
            if (o instanceof StackRecords.Finalized f) {
                Long t0 = submittedAt.remove(f.txid());
                if (t0 != null) finality.record(Duration.ofNanos(System.nanoTime() - t0));
                outcome(f.txid(), new Event("finality", -1, null, f.txid().hex(), "FINAL", null, Hex.encode(f.certificate().toBytes())));
            } else if (o instanceof StackRecords.Released r) {
                submittedAt.remove(r.txid());
                outcome(r.txid(), new Event("finality", -1, null, r.txid().hex(), "RELEASED", r.reason(), null));
            }
        }
    }

    /**
     * This node's ledger refused it: an answer for a waiting wallet at once (other nodes would refuse it too) — unless
     * the refusal is this node's own state (an input locked by another transaction, a full mempool): the other nodes
     * may still make it final, so the wait goes on for the network's outcome.
     */
    @Incoming("tx-verdicts")
    public void onVerdicts(List<byte[]> values) {
        for (byte[] value : values) onVerdict(value);
    }

    private void onVerdict(byte[] value) {
        try {
            for (StackRecords.Verdict v : StackRecords.decodeVerdicts(value)) {
                if (v.verdict() == TxVerdict.REJECT && !NODE_LOCAL_REFUSALS.contains(v.reason())) {
                    submittedAt.remove(v.txid());
                    outcome(v.txid(), new Event("finality", -1, null, v.txid().hex(), "REJECTED", v.reason(), null));
                }
            }
        } catch (ProtocolException e) {
            rejected("tx.verdicts", e.reason().name());
        }
    }

    private static final java.util.Set<String> NODE_LOCAL_REFUSALS = java.util.Set.of("INPUT_LOCKED", "MEMPOOL_FULL");

    /** Announcements from this node's ledger of the finalities it committed (one record per ledger poll). */
    @Incoming("tx-applied")
    public void onApplied(List<byte[]> values) {
        for (byte[] value : values) {
            try {
                for (Hash txid : StackRecords.decodeTxApplied(value).txids()) applied.arrived(txid, Boolean.TRUE);
            } catch (ProtocolException e) {
                rejected("tx.applied", e.reason().name());
            }
        }
    }

    @Incoming("blocks-applied")
    public void onBlock(byte[] value) {
        try {
            StackRecords.BlockApplied a = StackRecords.decodeBlockApplied(value);
            if (a.height() > tipHeight) {
                tipHeight = a.height();
                stream.onNext(Event.block(a.height(), a.hash()));
            }
        } catch (ProtocolException e) {
            rejected("blocks.applied", e.reason().name());
        }
    }

    private void rejected(String topic, String reason) {
        registry.counter("timecoin_gateway_records_rejected", "topic", topic, "reason", reason).increment();
    }
}
