package org.timecoin.ledger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;
import org.timecoin.ledger.core.OrphanPool;
import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.genesis.DevnetGenesis;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.Block;
import org.timecoin.protocol.model.BlockHeader;
import org.timecoin.protocol.model.FinalityCertificate;
import org.timecoin.protocol.model.Network;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxVerdict;
import org.timecoin.protocol.rules.RejectReason;
import org.timecoin.protocol.rules.RewardSplit;
import org.timecoin.protocol.rules.TransactionRules;
import org.timecoin.protocol.rules.ValidatorSet;
import org.timecoin.protocol.stack.StackRecords;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.smallrye.reactive.messaging.TracingMetadata;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.reactive.messaging.annotations.Blocking;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;

/**
 * The ledger's Kafka side: validates submitted transactions (signatures in parallel on worker threads, then the
 * atomic lock in PostgreSQL) and publishes verdicts; applies finality certificates and lock releases; builds and
 * checks block proposals for consensus; applies finalized blocks and announces them. Bad records are counted with a
 * reason and change nothing. Database failures are retried with backoff before the record is acknowledged, so nothing
 * is acknowledged before it is stored.
 */
@ApplicationScoped
public class LedgerService {
    private static final Logger LOG = Logger.getLogger(LedgerService.class);

    private final LedgerStore store;
    private final UtxoCache cache;
    private final MeterRegistry registry;
    private final Network network;
    private final String genesisSeed;
    private final int genesisNodes;
    private final int maxBlockTransactions;
    private final long lockTimeoutSeconds;
    private final int maxBlockBytes;
    /** Mempool bound (DESIGN.md §1): transactions locked here and not final yet. */
    private final long maxPending;
    // guarded by itself: the tx.submitted handlers run concurrently
    private final OrphanPool orphans;
    private final LinkedHashSet<Hash> recentlyFinal = new LinkedHashSet<>();
    private final ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "ledger-lock-sweeper"));
    /** The database's counts, read by the sweeper: a scrape never waits for SQL. */
    private final AtomicReference<LedgerStore.Mempool> mempoolReading = new AtomicReference<>(new LedgerStore.Mempool(0, 0));

    @Inject
    @Channel("tx-verdicts")
    Emitter<byte[]> verdicts;
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
    @Inject
    OpenTelemetry openTelemetry;
    @ConfigProperty(name = "quarkus.uuid")
    String replicaId;

    public LedgerService(LedgerStore store, UtxoCache cache, MeterRegistry registry, @ConfigProperty(name = "timecoin.network") String network,
                         @ConfigProperty(name = "timecoin.genesis.seed", defaultValue = "devnet") String genesisSeed,
                         @ConfigProperty(name = "timecoin.genesis.nodes", defaultValue = "4") int genesisNodes,
                         @ConfigProperty(name = "timecoin.ledger.max-block-transactions", defaultValue = "5000") int maxBlockTransactions,
                         @ConfigProperty(name = "timecoin.ledger.lock-timeout-seconds", defaultValue = "60") long lockTimeoutSeconds,
                         @ConfigProperty(name = "timecoin.ledger.orphan-wait-millis", defaultValue = "3000") long orphanWaitMillis,
                         @ConfigProperty(name = "timecoin.ledger.max-orphans", defaultValue = "10000") int maxOrphans,
                         @ConfigProperty(name = "timecoin.ledger.max-block-bytes", defaultValue = "8388608") int maxBlockBytes,
                         @ConfigProperty(name = "timecoin.ledger.max-pending-transactions", defaultValue = "10000") long maxPending) {
        this.store = store;
        this.cache = cache;
        this.registry = registry;
        this.network = Network.byName(network);
        this.genesisSeed = genesisSeed;
        this.genesisNodes = genesisNodes;
        this.maxBlockTransactions = maxBlockTransactions;
        this.lockTimeoutSeconds = lockTimeoutSeconds;
        this.orphans = new OrphanPool(maxOrphans, orphanWaitMillis);
        if (maxBlockBytes <= BLOCK_OVERHEAD_BYTES) throw new IllegalArgumentException("timecoin.ledger.max-block-bytes must exceed " + BLOCK_OVERHEAD_BYTES);
        this.maxBlockBytes = maxBlockBytes;
        if (maxPending < 1) throw new IllegalArgumentException("timecoin.ledger.max-pending-transactions must be at least 1");
        this.maxPending = maxPending;
        // the same on every replica (one database); a final-not-in-block count that keeps growing past
        // max-block-transactions means blocks archive less than finality produces
        registry.gauge("timecoin_ledger_mempool_transactions", mempoolReading, r -> r.get().pending());
        registry.gauge("timecoin_ledger_final_not_in_block_transactions", mempoolReading, r -> r.get().finalNotInBlock());
        registry.gauge("timecoin_ledger_orphans", orphans, o -> {
            synchronized (o) {
                return o.size();
            }
        });
    }

    public int chainId() {
        return network.chainId();
    }

    /** The mempool bound this ledger enforces (the gateway reads it with the pending count). */
    public long maxPending() {
        return maxPending;
    }

    /** Applies the devnet genesis on first start, then announces the tip (so a restarted consensus learns it). */
    void onStart(@Observes StartupEvent ev) {
        if (store.tip().isEmpty()) {
            if (network != Network.DEVNET) throw new IllegalStateException("no genesis is defined for " + network + " yet");
            DevnetGenesis genesis = DevnetGenesis.create(genesisSeed, genesisNodes);
            store.applyBlock(chainId(), genesis.block(), null);
            LOG.infof("applied devnet genesis %s (seed '%s', %d masternodes)", genesis.hash(), genesisSeed, genesisNodes);
        }
        LedgerStore.Tip tip = store.tip().orElseThrow();
        announce(new LedgerStore.Applied(tip.height(), tip.hash(), tip.timestampMillis(), tip.utxoCommitment(), store.validatorSet(), false));
        sweeper.scheduleWithFixedDelay(this::sweepLocks, 5, 5, TimeUnit.SECONDS);
        sweeper.scheduleWithFixedDelay(this::readMempool, 0, 5, TimeUnit.SECONDS);
        sweeper.scheduleWithFixedDelay(this::expireOrphans, 200, 200, TimeUnit.MILLISECONDS);
    }

    private void announce(LedgerStore.Applied a) {
        send(applied, StackRecords.heightKey(a.height()),
                StackRecords.encode(new StackRecords.BlockApplied(a.height(), a.hash(), a.timestampMillis(), a.utxoCommitment(), a.nextSet())));
    }

    /**
     * Tells the stack which transactions' finality this ledger has committed, outputs included, and what they spent: one
     * record per poll. The gateway answers finality waits from it (instead of a status request per transaction); the
     * other replicas wake their orphans and drop the spent outpoints from their caches.
     */
    private void announceApplied(List<Transaction> txs) {
        for (byte[] record : StackRecords.encodeApplied(txs)) {
            var headers = new org.apache.kafka.common.header.internals.RecordHeaders().add(REPLICA_HEADER, replicaId.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            txApplied.send(Message.of(record).addMetadata(OutgoingKafkaRecordMetadata.<byte[]>builder().withHeaders(headers).build()));
        }
    }

    /** Which replica announced a tx.applied record: its own are skipped when it follows the others'. */
    static final String REPLICA_HEADER = "timecoin-replica";

    private static void send(Emitter<byte[]> emitter, byte[] key, byte[] value) {
        emitter.send(Message.of(value).addMetadata(OutgoingKafkaRecordMetadata.<byte[]>builder().withKey(key).build()));
    }

    /**
     * A record that cannot be processed: counted with its reason and parked on the dead-letter topic (with the source
     * topic and the reason as headers) for the operator; consumption goes on, so a poison record never blocks a topic.
     */
    private void rejected(String topic, String reason, byte[] value) {
        registry.counter("timecoin_ledger_records_rejected", "topic", topic, "reason", reason).increment();
        var headers = new org.apache.kafka.common.header.internals.RecordHeaders()
                .add("timecoin-source-topic", topic.getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .add("timecoin-reason", reason.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        deadLetters.send(Message.of(value).addMetadata(OutgoingKafkaRecordMetadata.<byte[]>builder().withHeaders(headers).build()));
    }

    /** Retries database work with backoff (database down: wait, do not acknowledge, resume by itself). */
    private <T> T durably(Supplier<T> work) {
        long backoff = 100;
        while (true) {
            try {
                return work.get();
            } catch (LedgerStore.DatabaseUnavailableException e) {
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

    // ---- tx.submitted ----

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
                rejected("tx.submitted", e.reason().name(), record.value());
            }
        }
        try {
            validateAll(decoded, records);
        } finally {
            for (Transaction tx : decoded) traces.remove(tx.txid());
        }
    }

    private void validateAll(List<Transaction> decoded, List<byte[]> records) {
        List<Optional<RejectReason>> stateless = decoded.parallelStream()
                .map(tx -> TransactionRules.checkStateless(tx).or(() -> TransactionRules.checkSignatures(tx, chainId()))).toList();
        List<Transaction> valid = new ArrayList<>();
        List<byte[]> validRecords = new ArrayList<>();
        for (int i = 0; i < decoded.size(); i++) {
            if (stateless.get(i).isPresent()) {
                publishVerdict(decoded.get(i), new LedgerStore.Verdict(false, stateless.get(i).get(), null));
            } else {
                valid.add(decoded.get(i));
                validRecords.add(records.get(i));
            }
        }
        if (valid.isEmpty()) return;
        List<LedgerStore.Verdict> verdicts;
        try {
            verdicts = durably(() -> store.validateAndLockAll(valid, maxPending));
        } catch (LedgerStore.DatabaseUnavailableException e) {
            throw e;
        } catch (RuntimeException e) {
            // one transaction's fault must not cost the others their verdicts: one by one, so only it is set aside
            for (int i = 0; i < valid.size(); i++) validateAlone(valid.get(i), validRecords.get(i));
            return;
        }
        // outputs that finality made just now (the certificate had come before the body): their waiting children first
        List<Transaction> madeFinal = new ArrayList<>();
        for (int i = 0; i < valid.size(); i++) if (verdicts.get(i).completedFinality()) madeFinal.add(valid.get(i));
        completedByBody(madeFinal);
        for (int i = 0; i < valid.size(); i++) afterValidation(valid.get(i), verdicts.get(i));
    }

    /**
     * Validated again on its own (an orphan woken or at its deadline, or a poll's fallback): if that completed its
     * finality, the children waiting for its outputs are woken too.
     */
    private LedgerStore.Verdict validateOne(Transaction tx) {
        LedgerStore.Verdict v = durably(() -> store.validateAndLockAll(List.of(tx), maxPending).get(0));
        if (v.completedFinality()) completedByBody(List.of(tx));
        return v;
    }

    /**
     * Finalities that bodies completed (their certificates had come first): the gateway (tx.applied) and the children
     * waiting for their outputs learn of them, whichever path validated the body.
     */
    private void completedByBody(List<Transaction> txs) {
        if (txs.isEmpty()) return;
        registry.counter("timecoin_ledger_finality_completed_by_body").increment(txs.size());
        announceApplied(txs);
        for (Transaction tx : txs) parentFinal(tx.txid());
    }

    private void validateAlone(Transaction tx, byte[] record) {
        try {
            afterValidation(tx, validateOne(tx));
        } catch (LedgerStore.DatabaseUnavailableException e) {
            throw e;
        } catch (RuntimeException e) {
            // a fault of this ledger's, not of the record: without a verdict from here the network still decides, but a
            // failure must never stop the topic (the connector's fail-stop would end all validation on this node)
            LOG.errorf(e, "validating %s failed; the record goes to dead-letters", tx.txid());
            rejected("tx.submitted", "INTERNAL_ERROR", record);
        }
    }

    /** A verdict reached: published, unless the transaction spends outputs not known here yet (then it waits for them). */
    private void afterValidation(Transaction tx, LedgerStore.Verdict verdict) {
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
            verdict = validateOne(tx);
        }
        publishVerdict(tx, verdict);
    }

    private static boolean orphaned(LedgerStore.Verdict v) {
        return !v.approved() && v.reason() == RejectReason.UNKNOWN_INPUT;
    }

    private void publishVerdict(Transaction tx, LedgerStore.Verdict verdict) {
        if (verdict.approved()) cache.invalidate(LedgerStore.touched(tx));
        registry.counter("timecoin_ledger_verdicts", "verdict", verdict.approved() ? "APPROVE" : verdict.reason().name()).increment();
        Message<byte[]> m = Message.of(StackRecords.encode(new StackRecords.Verdict(tx.txid(), verdict.approved() ? TxVerdict.APPROVE : TxVerdict.REJECT,
                verdict.approved() ? "" : verdict.reason().name()))).addMetadata(OutgoingKafkaRecordMetadata.<byte[]>builder().withKey(tx.txid().toByteArray()).build());
        // the verdict continues the submission's trace (a poll mixes many; an orphan's verdict comes later, untraced)
        Context trace = traces.get(tx.txid());
        verdicts.send(trace == null ? m : m.addMetadata(TracingMetadata.withCurrent(trace)));
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

    /** A transaction is now final here: the orphans waiting for its outputs are validated again. */
    private void parentFinal(Hash txid) {
        List<OrphanPool.Held> waiting;
        synchronized (orphans) {
            recentlyFinal.add(txid);
            if (recentlyFinal.size() > RECENTLY_FINAL) recentlyFinal.remove(recentlyFinal.iterator().next());
            waiting = orphans.parentFinal(txid);
        }
        for (OrphanPool.Held h : waiting) {
            LedgerStore.Verdict v = validateOne(h.tx());
            if (orphaned(v)) {
                boolean parked;
                synchronized (orphans) {
                    parked = orphans.parkUntil(h.tx(), h.deadlineMillis()); // another parent is still unknown
                }
                if (parked) continue;
            }
            registry.counter("timecoin_ledger_orphans_resolved", "verdict", v.approved() ? "APPROVE" : v.reason().name()).increment();
            publishVerdict(h.tx(), v);
        }
    }

    private static final int RECENTLY_FINAL = 10_000;

    /** Orphans past their wait: one last validation, then the verdict stands (unknown input: rejected). */
    private void expireOrphans() {
        try {
            List<OrphanPool.Held> expired;
            synchronized (orphans) {
                expired = orphans.expired(System.currentTimeMillis());
            }
            for (OrphanPool.Held h : expired) {
                LedgerStore.Verdict v = validateOne(h.tx());
                registry.counter("timecoin_ledger_orphans_expired", "verdict", v.approved() ? "APPROVE" : v.reason().name()).increment();
                publishVerdict(h.tx(), v);
            }
        } catch (RuntimeException e) {
            LOG.warnf("orphan sweep failed: %s", e.getMessage());
        }
    }

    // ---- tx.finalized ----

    /** One poll of outcome records (each holds many): certificates checked, then all applied in one database transaction. */
    @Incoming("tx-finalized")
    @Blocking
    public void onTxOutcomes(List<byte[]> values) {
        List<FinalityCertificate> certificates = new ArrayList<>();
        List<StackRecords.Released> releases = new ArrayList<>();
        java.util.Map<Long, Optional<ValidatorSet>> sets = new java.util.HashMap<>(); // by epoch: current or previous
        for (byte[] value : values) {
            List<StackRecords.TxOutcome> outcomes;
            try {
                outcomes = StackRecords.decodeTxOutcomes(value).outcomes();
            } catch (ProtocolException e) {
                rejected("tx.finalized", e.reason().name(), value);
                continue;
            }
            for (StackRecords.TxOutcome outcome : outcomes) {
                if (outcome instanceof StackRecords.Finalized f) {
                    long epoch = f.certificate().validatorSetHeight();
                    Optional<ValidatorSet> set = sets.computeIfAbsent(epoch, e -> Optional.ofNullable(durably(() -> store.certificateSet(e))));
                    if (set.isEmpty() || f.certificate().verify(chainId(), set.get()) != null) {
                        rejected("tx.finalized", "BAD_FINALITY_CERTIFICATE", StackRecords.encode(f)); // parked alone: the others apply
                        continue;
                    }
                    certificates.add(f.certificate());
                } else if (outcome instanceof StackRecords.Released r) {
                    releases.add(r);
                }
            }
        }
        if (!certificates.isEmpty()) {
            LedgerStore.Finalities applied = durably(() -> store.applyFinalities(certificates));
            cache.invalidate(applied.changed());
            // children wait for outputs, which exist only where the body is known (else they come with the body or the block)
            announceApplied(applied.withOutputs());
            for (Transaction tx : applied.withOutputs()) parentFinal(tx.txid());
        }
        for (StackRecords.Released r : releases) { // a release never undoes a finality: the order within a poll does not matter
            durably(() -> store.release(r.txid(), r.reason()));
            cache.invalidate(durably(() -> store.outPointsOf(r.txid())));
        }
    }

    private void readMempool() {
        try {
            mempoolReading.set(store.mempool());
        } catch (RuntimeException e) {
            LOG.warnf("mempool count failed: %s", e.getMessage());
        }
    }

    private void sweepLocks() {
        try {
            for (Hash txid : store.expiredLocks(lockTimeoutSeconds)) {
                if (store.release(txid, "LOCK_EXPIRED")) registry.counter("timecoin_ledger_locks_expired").increment();
                cache.invalidate(store.outPointsOf(txid));
            }
        } catch (RuntimeException e) {
            LOG.warnf("lock sweep failed: %s", e.getMessage());
        }
    }

    // ---- proposals ----

    /**
     * One poll of requests from this node's consensus. Only those of the latest (height, round) in the poll are
     * answered: the consensus asks in (height, round) order and ignores answers for a round it has left, so under load,
     * when requests queue up behind a slow build or check, working the older ones only delayed the one that counts.
     */
    @Incoming("proposals-requests")
    @Blocking
    public void onProposalRequests(List<byte[]> values) {
        List<StackRecords.ProposalRequest> requests = new ArrayList<>(values.size());
        for (byte[] value : values) {
            try {
                requests.add(StackRecords.decodeProposalRequest(value));
            } catch (ProtocolException e) {
                rejected("proposals.requests", e.reason().name(), value);
            }
        }
        List<StackRecords.ProposalRequest> current = latestRound(requests);
        if (current.size() < requests.size()) registry.counter("timecoin_ledger_proposal_requests_skipped").increment(requests.size() - current.size());
        for (StackRecords.ProposalRequest request : current) answer(request);
    }

    /** The requests of the latest (height, round) among {@code requests}, in their order. */
    static List<StackRecords.ProposalRequest> latestRound(List<StackRecords.ProposalRequest> requests) {
        Comparator<StackRecords.ProposalRequest> byRound = Comparator.comparingLong(StackRecords.ProposalRequest::height)
                .thenComparingInt(StackRecords.ProposalRequest::round);
        StackRecords.ProposalRequest latest = requests.stream().max(byRound).orElse(null);
        return requests.stream().filter(r -> byRound.compare(r, latest) == 0).toList();
    }

    private void answer(StackRecords.ProposalRequest request) {
        StackRecords.ProposalResponse response;
        long t0 = System.nanoTime();
        if (request instanceof StackRecords.BuildRequest b) {
            response = buildProposal(b);
        } else {
            StackRecords.CheckRequest c = (StackRecords.CheckRequest) request;
            String why = durably(() -> store.checkBlock(chainId(), c.block(), c.certificates()));
            if (why != null) LOG.infof("proposal %s for height %d round %d refused: %s", c.block().hash(), c.height(), c.round(), why);
            response = new StackRecords.Checked(c.height(), c.round(), c.block().hash(), why == null);
        }
        // a build or check that outlasts the round timeout (3 s at round 0) costs the height a round
        Timer.builder("timecoin_ledger_proposal").description("building or checking a proposed block").tag("work", request instanceof StackRecords.BuildRequest ? "build" : "check")
                .publishPercentileHistogram().register(registry).record(Duration.ofNanos(System.nanoTime() - t0));
        send(proposals, StackRecords.heightKey(request.height()), StackRecords.encode(response));
    }

    /** A block of final transactions not yet in a block, paying subsidy + their fees by reward weight, with their certificates. */
    StackRecords.Built buildProposal(StackRecords.BuildRequest b) {
        List<LedgerStore.Candidate> candidates = withinBudget(durably(() -> store.proposalCandidates(maxBlockTransactions)), maxBlockBytes - BLOCK_OVERHEAD_BYTES);
        ValidatorSet set = durably(store::validatorSet);
        // a final transaction that breaks a block rule (its certificate names a set no longer checkable, its registration
        // lost to another) is left out with what descends from it: one such must not make every leader's block refused
        for (int attempt = 0; ; attempt++) {
            StackRecords.Built built = assemble(b, candidates, set);
            LedgerStore.Refusal refusal = durably(() -> store.refusal(chainId(), built.block(), built.certificates()));
            if (refusal == null || refusal.txid() == null || attempt >= MAX_LEFT_OUT) {
                if (refusal != null) LOG.warnf("proposal for height %d round %d breaks a block rule: %s", b.height(), b.round(), refusal.reason());
                return built;
            }
            LOG.warnf("final transaction %s left out of the proposal for height %d: %s", refusal.txid(), b.height(), refusal.reason());
            Hash out = refusal.txid();
            candidates = org.timecoin.ledger.core.BlockOrder.arrange(candidates.stream().filter(c -> !c.tx().txid().equals(out)).toList(),
                    LedgerStore.Candidate::tx, Set.of(out));
        }
    }

    /** Transactions a build leaves out at most, one check each, before it proposes what it has. */
    static final int MAX_LEFT_OUT = 16;

    private StackRecords.Built assemble(StackRecords.BuildRequest b, List<LedgerStore.Candidate> candidates, ValidatorSet set) {
        Amount fees = Amount.ZERO;
        List<Transaction> txs = new ArrayList<>();
        List<FinalityCertificate> certificates = new ArrayList<>();
        for (LedgerStore.Candidate c : candidates) fees = fees.plus(c.fee());
        txs.add(Transaction.reward(b.height(), RewardSplit.split(RewardSplit.blockReward(fees), set, b.proposer())));
        for (LedgerStore.Candidate c : candidates) {
            txs.add(c.tx());
            certificates.add(c.certificate());
        }
        long timestamp = Math.max(System.currentTimeMillis(), b.previousTimestampMillis() + 1);
        Block block = new Block(new BlockHeader(chainId(), b.height(), b.previousHash(), Block.merkleRoot(txs), timestamp, b.round(), b.proposer()), txs);
        return new StackRecords.Built(b.height(), b.round(), block, certificates);
    }

    /** Room kept for the header, the reward transaction and the record's framing. */
    static final int BLOCK_OVERHEAD_BYTES = 64 * 1024;

    /**
     * The longest prefix of the candidates whose transactions and certificates fit in {@code budgetBytes} (parents come
     * first, so a prefix never holds a child without its parent): a proposal must fit in one Kafka record and one p2p
     * frame, or the leader's round can never complete and every later leader's block only grows (seen under load:
     * blocks stopped at 1.6 MB against Kafka's 1 MB default).
     */
    static List<LedgerStore.Candidate> withinBudget(List<LedgerStore.Candidate> candidates, long budgetBytes) {
        long used = 0;
        for (int i = 0; i < candidates.size(); i++) {
            LedgerStore.Candidate c = candidates.get(i);
            used += c.tx().encodedSize() + c.certificate().toBytes().length;
            if (used > budgetBytes) return candidates.subList(0, i);
        }
        return candidates;
    }

    // ---- blocks.finalized ----

    /**
     * One poll of finalized blocks (at most the channel's max.poll.records), applied in one database transaction: a
     * catching-up node gets them in runs, and one commit per run instead of per block is what lets its ledger keep up.
     * If any is refused, they are applied one by one, so only that one is parked with its reason.
     */
    @Incoming("blocks-finalized")
    @Blocking
    public void onFinalizedBlocks(List<byte[]> values) {
        List<StackRecords.FinalizedBlock> blocks = new ArrayList<>();
        List<byte[]> records = new ArrayList<>();
        for (byte[] value : values) {
            try {
                blocks.add(StackRecords.decodeFinalizedBlock(value));
                records.add(value);
            } catch (ProtocolException e) {
                rejected("blocks.finalized", e.reason().name(), value);
            }
        }
        if (blocks.isEmpty()) return;
        List<LedgerStore.Applied> applied;
        try {
            applied = durably(() -> store.applyBlocks(chainId(), blocks));
        } catch (LedgerStore.InvalidBlockException e) {
            for (int i = 0; i < blocks.size(); i++) applyOne(blocks.get(i), records.get(i));
            return;
        }
        for (int i = 0; i < blocks.size(); i++) afterApplied(blocks.get(i), applied.get(i));
    }

    private void applyOne(StackRecords.FinalizedBlock f, byte[] record) {
        try {
            afterApplied(f, durably(() -> store.applyBlock(chainId(), f.block(), f.certificate())));
        } catch (LedgerStore.InvalidBlockException e) {
            rejected("blocks.finalized", e.getMessage(), record);
            LOG.warnf("finalized block %d (%s) not applied: %s", f.block().height(), f.block().hash(), e.getMessage());
        }
    }

    private void afterApplied(StackRecords.FinalizedBlock f, LedgerStore.Applied a) {
        if (!a.alreadyApplied()) {
            registry.counter("timecoin_ledger_blocks_applied").increment();
        } else {
            // a block this ledger has: its consensus is behind it (a restored or wiped database, catching up from its
            // peers) and waits for the tip to be announced — say it again (consumers are idempotent)
            registry.counter("timecoin_ledger_tip_reannounced").increment();
        }
        announce(a);
        // a transaction this node never saw a certificate for becomes known through the block
        for (Transaction tx : f.block().transactions()) parentFinal(tx.txid());
    }

    /**
     * Every replica (own consumer group) follows the blocks any replica applied: it drops what each changed from its
     * cache, and wakes its orphans waiting for outputs the block made.
     */
    @Incoming("blocks-applied-cache")
    @Blocking
    public void onBlockAppliedForCache(byte[] value) {
        try {
            long height = StackRecords.decodeBlockApplied(value).height();
            durably(() -> store.block(height)).ifPresent(b -> {
                List<org.timecoin.protocol.model.OutPoint> changed = new ArrayList<>();
                for (Transaction tx : b.block().transactions()) changed.addAll(LedgerStore.touched(tx));
                cache.invalidate(changed);
                for (Transaction tx : b.block().transactions()) parentFinal(tx.txid());
            });
        } catch (ProtocolException e) {
            rejected("blocks.applied", e.reason().name(), value);
        }
    }

    /**
     * Every replica (own consumer group) follows the finalities any replica applied: it drops the outpoints they spent
     * from its cache, and wakes its orphans waiting for their outputs. Without it, an orphan parked on one replica
     * waited for its deadline when another replica applied its parent's certificate, and a spent outpoint read from
     * another replica's cache stayed unspent until the next block (ten minutes on mainnet). A replica's own records are
     * skipped: it did both when it applied them, and dropping its entries again would only cost it cache hits.
     */
    @Incoming("tx-applied-replicas")
    @Blocking
    public void onTxAppliedByAnyReplica(ConsumerRecords<byte[], byte[]> poll) {
        byte[] self = replicaId.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (ConsumerRecord<byte[], byte[]> record : poll) {
            Header from = record.headers().lastHeader(REPLICA_HEADER);
            if (from != null && java.util.Arrays.equals(from.value(), self)) continue;
            StackRecords.TxApplied a;
            try {
                a = StackRecords.decodeTxApplied(record.value());
            } catch (ProtocolException e) {
                rejected("tx.applied", e.reason().name(), record.value());
                continue;
            }
            cache.invalidate(a.spent());
            for (Hash txid : a.txids()) parentFinal(txid);
        }
    }

    @PreDestroy
    void stop() {
        sweeper.shutdownNow();
    }
}
