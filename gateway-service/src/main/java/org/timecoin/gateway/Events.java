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
    private final Map<Hash, CompletableFuture<Event>> waiters = new ConcurrentHashMap<>();
    private final Map<Hash, Long> submittedAt;
    private final Map<Hash, Event> recentOutcomes;
    private final Timer finality;
    private final Timer ledgerCatchUp;
    private final MeterRegistry registry;
    private final int maxWaiters = 10_000;
    private volatile long tipHeight = -1;

    public Events(MeterRegistry registry, GatewaySettings settings) {
        this.registry = registry;
        int capacity = settings.recentSubmissions();
        this.submittedAt = bounded(capacity);
        this.recentOutcomes = bounded(settings.recentOutcomes());
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
        return submittedAt.containsKey(txid) || recentOutcomes.containsKey(txid);
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
        if (waiters.size() >= maxWaiters && !waiters.containsKey(txid)) {
            throw new ApiException(503, "TOO_MANY_WAITERS", "too many finality waits in progress; poll the status instead");
        }
        CompletableFuture<Event> f = waiters.computeIfAbsent(txid, k -> new CompletableFuture<>());
        Event already = recentOutcomes.get(txid);
        if (already != null) {
            waiters.remove(txid, f);
            f.complete(already);
        }
        return f.copy().completeOnTimeout(null, timeoutMillis, TimeUnit.MILLISECONDS);
    }

    private void outcome(Hash txid, Event e) {
        recentOutcomes.put(txid, e);
        CompletableFuture<Event> f = waiters.remove(txid);
        if (f != null) f.complete(e);
        stream.onNext(e);
    }

    /** One poll of outcomes (the channel is in batch mode: under load a poll holds many, at no cost per record). */
    @Incoming("tx-finalized")
    public void onOutcomes(List<byte[]> values) {
        for (byte[] value : values) onOutcome(value);
    }

    private void onOutcome(byte[] value) {
        StackRecords.TxOutcome o;
        try {
            o = StackRecords.decodeTxOutcome(value);
        } catch (ProtocolException e) {
            rejected("tx.finalized", e.reason().name());
            return;
        }
        if (o instanceof StackRecords.Finalized f) {
            Long t0 = submittedAt.remove(f.txid());
            if (t0 != null) finality.record(Duration.ofNanos(System.nanoTime() - t0));
            outcome(f.txid(), new Event("finality", -1, null, f.txid().hex(), "FINAL", null, Hex.encode(f.certificate().toBytes())));
        } else if (o instanceof StackRecords.Released r) {
            submittedAt.remove(r.txid());
            outcome(r.txid(), new Event("finality", -1, null, r.txid().hex(), "RELEASED", r.reason(), null));
        }
    }

    /** This node's ledger refused it: an answer for a waiting wallet at once (other nodes would refuse it too). */
    @Incoming("tx-verdicts")
    public void onVerdicts(List<byte[]> values) {
        for (byte[] value : values) onVerdict(value);
    }

    private void onVerdict(byte[] value) {
        try {
            StackRecords.Verdict v = StackRecords.decodeVerdict(value);
            if (v.verdict() == TxVerdict.REJECT && !"INPUT_LOCKED".equals(v.reason())) {
                outcome(v.txid(), new Event("finality", -1, null, v.txid().hex(), "REJECTED", v.reason(), null));
            }
        } catch (ProtocolException e) {
            rejected("tx.verdicts", e.reason().name());
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
