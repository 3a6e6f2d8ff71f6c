package org.timecoin.ledger;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;
import org.timecoin.ledger.core.OrphanPool;
import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.model.Network;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.rules.RejectReason;
import org.timecoin.protocol.rules.TransactionRules;

import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.quarkus.runtime.Startup;
import io.smallrye.reactive.messaging.annotations.Blocking;

/**
 * Validation of submitted transactions (tx.submitted): stateless rules and signatures checked in parallel on worker
 * threads, then the atomic check and lock of the inputs in PostgreSQL ({@link LockStore}), then the verdict
 * published. A transaction spending outputs not known here yet waits in the orphan pool until a parent's finality is
 * applied (here or by another replica: {@link #parentsFinal}) or its wait ends — the coordination lives here because
 * each wake-up is a validation again.
 */
@Startup // created at start, as before: a bad mempool or orphan setting stops the service then, not at the first record
@ApplicationScoped
public class ValidationService {
    private static final Logger LOG = Logger.getLogger(ValidationService.class);

    private final LockStore locks;
    private final UtxoCache cache;
    private final MeterRegistry registry;
    private final LedgerKafka kafka;
    private final int chainId;
    /** Mempool bound (DESIGN.md §1): transactions locked here and not final yet. */
    private final long maxPending;
    // guarded by itself: the tx.submitted handlers run concurrently
    private final OrphanPool orphans;
    private final LinkedHashSet<Hash> recentlyFinal = new LinkedHashSet<>();

    @Inject
    OpenTelemetry openTelemetry;

    public ValidationService(LockStore locks, UtxoCache cache, MeterRegistry registry, LedgerKafka kafka, @ConfigProperty(name = "timecoin.network") String network,
                             LedgerSettings settings) {
        long maxPending = settings.maxPendingTransactions();
        this.locks = locks;
        this.cache = cache;
        this.registry = registry;
        this.kafka = kafka;
        this.chainId = Network.byName(network).chainId();
        this.orphans = new OrphanPool(settings.maxOrphans(), settings.orphanWaitMillis());
        if (maxPending < 1) throw new IllegalArgumentException("timecoin.ledger.max-pending-transactions must be at least 1");
        this.maxPending = maxPending;
        registry.gauge("timecoin_ledger_orphans", orphans, o -> {
            synchronized (o) {
                return o.size();
            }
        });
    }

    /** The mempool bound this ledger enforces (the gateway reads it with the pending count). */
    public long maxPending() {
        return maxPending;
    }

    /**
     * One poll of submitted transactions: stateless rules and signatures checked in parallel, then the survivors'
     * inputs checked and locked in one database transaction. Polls grow with the load (the next one is taken when this
     * one is done), so a busy ledger pays one commit and one round trip per kind of statement for many transactions.
     */
    @Incoming("tx-submitted")
    @Blocking
    public void onSubmitted(ConsumerRecords<byte[], byte[]> poll) {
        List<Transaction> decoded = new ArrayList<>();
        List<byte[]> records = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : poll) {
            try {
                Transaction tx = Transaction.decode(record.value());
                decoded.add(tx);
                records.add(record.value());
                traces.put(tx.txid(), traceOf(record));
            } catch (ProtocolException e) {
                kafka.rejected("tx.submitted", e.reason().name(), record.value());
            }
        }
        VerdictBatch out = new VerdictBatch();
        try {
            validateAll(decoded, records, out);
        } finally {
            out.publish();
            for (Transaction tx : decoded) traces.remove(tx.txid());
        }
    }

    private void validateAll(List<Transaction> decoded, List<byte[]> records, VerdictBatch out) {
        List<Optional<RejectReason>> stateless = decoded.parallelStream()
                .map(tx -> TransactionRules.checkStateless(tx).or(() -> TransactionRules.checkSignatures(tx, chainId))).toList();
        List<Transaction> valid = new ArrayList<>();
        List<byte[]> validRecords = new ArrayList<>();
        for (int i = 0; i < decoded.size(); i++) {
            if (stateless.get(i).isPresent()) {
                out.add(decoded.get(i), new LockStore.Verdict(false, stateless.get(i).get(), null));
            } else {
                valid.add(decoded.get(i));
                validRecords.add(records.get(i));
            }
        }
        if (valid.isEmpty()) return;
        List<LockStore.Verdict> verdicts;
        try {
            verdicts = kafka.durably(() -> locks.validateAndLockAll(valid, maxPending));
        } catch (LedgerDb.DatabaseUnavailableException e) {
            throw e;
        } catch (RuntimeException e) {
            // one transaction's fault must not cost the others their verdicts: one by one, so only it is set aside
            for (int i = 0; i < valid.size(); i++) validateAlone(valid.get(i), validRecords.get(i), out);
            return;
        }
        // outputs that finality made just now (the certificate had come before the body): their waiting children first
        List<Transaction> madeFinal = new ArrayList<>();
        for (int i = 0; i < valid.size(); i++) if (verdicts.get(i).completedFinality()) madeFinal.add(valid.get(i));
        completedByBody(madeFinal, out);
        for (int i = 0; i < valid.size(); i++) afterValidation(valid.get(i), verdicts.get(i), out);
    }

    /**
     * Validated again on its own (an orphan woken or at its deadline, or a poll's fallback): if that completed its
     * finality, the children waiting for its outputs are woken too.
     */
    private LockStore.Verdict validateOne(Transaction tx, VerdictBatch out) {
        LockStore.Verdict v = kafka.durably(() -> locks.validateAndLockAll(List.of(tx), maxPending).get(0));
        if (v.completedFinality()) completedByBody(List.of(tx), out);
        return v;
    }

    /**
     * Finalities that bodies completed (their certificates had come first): the gateway (tx.applied) and the children
     * waiting for their outputs learn of them, whichever path validated the body.
     */
    private void completedByBody(List<Transaction> txs, VerdictBatch out) {
        if (txs.isEmpty()) return;
        registry.counter("timecoin_ledger_finality_completed_by_body").increment(txs.size());
        kafka.announceApplied(txs);
        for (Transaction tx : txs) wakeOrphansOf(tx.txid(), out);
    }

    private void validateAlone(Transaction tx, byte[] record, VerdictBatch out) {
        try {
            afterValidation(tx, validateOne(tx, out), out);
        } catch (LedgerDb.DatabaseUnavailableException e) {
            throw e;
        } catch (RuntimeException e) {
            // a fault of this ledger's, not of the record: without a verdict from here the network still decides, but a
            // failure must never stop the topic (the connector's fail-stop would end all validation on this node)
            LOG.errorf(e, "validating %s failed; the record goes to dead-letters", tx.txid());
            kafka.rejected("tx.submitted", "INTERNAL_ERROR", record);
        }
    }

    /** A verdict reached: published, unless the transaction spends outputs not known here yet (then it waits for them). */
    private void afterValidation(Transaction tx, LockStore.Verdict verdict, VerdictBatch out) {
        if (orphaned(verdict)) {
            boolean parked;
            synchronized (orphans) {
                // a parent that became final while this was validated: no wait, validate again now
                parked = tx.inputs().stream().noneMatch(in -> recentlyFinal.contains(in.previous().txid())) && orphans.park(tx, System.currentTimeMillis());
            }
            if (parked) {
                registry.counter("timecoin_ledger_orphans_parked").increment();
                return; // the verdict follows when a parent's finality is applied, or at the deadline
            }
            verdict = validateOne(tx, out);
        }
        out.add(tx, verdict);
    }

    private static boolean orphaned(LockStore.Verdict v) {
        return !v.approved() && v.reason() == RejectReason.UNKNOWN_INPUT;
    }

    /**
     * The verdicts one piece of work reaches (a poll, the orphans a finality wakes, a sweep of expired ones), published
     * together as one tx.verdicts record when it ends; each keeps its submission's trace context (an orphan's verdict
     * comes after its poll, untraced).
     */
    private final class VerdictBatch {
        private final List<Transaction> txs = new ArrayList<>();
        private final List<LockStore.Verdict> verdicts = new ArrayList<>();
        private final List<Context> contexts = new ArrayList<>();

        void add(Transaction tx, LockStore.Verdict verdict) {
            if (verdict.approved()) cache.invalidate(UtxoCache.touched(tx));
            registry.counter("timecoin_ledger_verdicts", "verdict", verdict.approved() ? "APPROVE" : verdict.reason().name()).increment();
            txs.add(tx);
            verdicts.add(verdict);
            contexts.add(traces.get(tx.txid()));
        }

        void publish() {
            if (!txs.isEmpty()) kafka.verdicts(txs, verdicts, contexts);
        }
    }

    /** Trace contexts of the transactions of the poll being validated, by txid (W3C traceparent of their records). */
    private final java.util.concurrent.ConcurrentHashMap<Hash, Context> traces = new java.util.concurrent.ConcurrentHashMap<>();

    private static final TextMapGetter<ConsumerRecord<byte[], byte[]>> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(ConsumerRecord<byte[], byte[]> record) {
            List<String> keys = new ArrayList<>();
            for (Header h : record.headers()) keys.add(h.key());
            return keys;
        }

        @Override
        public String get(ConsumerRecord<byte[], byte[]> record, String key) {
            Header h = record == null ? null : record.headers().lastHeader(key);
            return h == null ? null : new String(h.value(), java.nio.charset.StandardCharsets.UTF_8);
        }
    };

    private Context traceOf(ConsumerRecord<byte[], byte[]> record) {
        return openTelemetry.getPropagators().getTextMapPropagator().extract(Context.root(), record, HEADERS);
    }

    /** These transactions are now final here: the orphans waiting for their outputs are validated again. */
    void parentsFinal(java.util.Collection<Hash> txids) {
        VerdictBatch out = new VerdictBatch();
        try {
            for (Hash txid : txids) wakeOrphansOf(txid, out);
        } finally {
            out.publish();
        }
    }

    private void wakeOrphansOf(Hash txid, VerdictBatch out) {
        List<OrphanPool.Held> waiting;
        synchronized (orphans) {
            recentlyFinal.add(txid);
            if (recentlyFinal.size() > RECENTLY_FINAL) recentlyFinal.remove(recentlyFinal.iterator().next());
            waiting = orphans.parentFinal(txid);
        }
        for (OrphanPool.Held h : waiting) {
            LockStore.Verdict v = validateOne(h.tx(), out);
            if (orphaned(v)) {
                boolean parked;
                synchronized (orphans) {
                    parked = orphans.parkUntil(h.tx(), h.deadlineMillis()); // another parent is still unknown
                }
                if (parked) continue;
            }
            registry.counter("timecoin_ledger_orphans_resolved", "verdict", v.approved() ? "APPROVE" : v.reason().name()).increment();
            out.add(h.tx(), v);
        }
    }

    private static final int RECENTLY_FINAL = 10_000;

    /** Orphans past their wait: one last validation, then the verdict stands (unknown input: rejected). */
    void expireOrphans() {
        VerdictBatch out = new VerdictBatch();
        try {
            List<OrphanPool.Held> expired;
            synchronized (orphans) {
                expired = orphans.expired(System.currentTimeMillis());
            }
            for (OrphanPool.Held h : expired) {
                LockStore.Verdict v = validateOne(h.tx(), out);
                registry.counter("timecoin_ledger_orphans_expired", "verdict", v.approved() ? "APPROVE" : v.reason().name()).increment();
                out.add(h.tx(), v);
            }
        } catch (RuntimeException e) {
            LOG.warnf("orphan sweep failed: %s", e.getMessage());
        } finally {
            out.publish();
        }
    }
}
