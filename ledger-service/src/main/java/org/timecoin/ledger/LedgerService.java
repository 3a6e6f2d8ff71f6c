package org.timecoin.ledger;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;
import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.genesis.DevnetGenesis;
import org.timecoin.protocol.model.FinalityCertificate;
import org.timecoin.protocol.model.Network;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.rules.ValidatorSet;
import org.timecoin.protocol.stack.StackRecords;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.reactive.messaging.annotations.Blocking;

/**
 * The ledger's Kafka side for finality and blocks (submitted transactions: {@link ValidationService}; consensus'
 * proposals: {@link ProposalService}): applies the devnet genesis and announces the tip at start; applies finality
 * certificates and lock releases, and finalized blocks, and announces them; follows what any replica applied (cache,
 * orphans); sweeps expired locks and reads the mempool's counts. Bad records are counted with a reason and change
 * nothing. Database failures are retried with backoff before the record is acknowledged, so nothing is acknowledged
 * before it is stored.
 */
@ApplicationScoped
public class LedgerService {
    private static final Logger LOG = Logger.getLogger(LedgerService.class);

    private final ChainStore chain;
    private final ValidatorSetStore validatorSets;
    private final LockStore locks;
    private final FinalityStore finality;
    private final LedgerReads reads;
    private final UtxoCache cache;
    private final MeterRegistry registry;
    private final LedgerKafka kafka;
    private final ValidationService validation;
    private final Network network;
    private final String genesisSeed;
    private final int genesisNodes;
    private final long lockTimeoutSeconds;
    private final ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "ledger-lock-sweeper"));
    /** The database's counts, read by the sweeper: a scrape never waits for SQL. */
    private final AtomicReference<LedgerReads.Mempool> mempoolReading = new AtomicReference<>(new LedgerReads.Mempool(0, 0));

    public LedgerService(ChainStore chain, ValidatorSetStore validatorSets, LockStore locks, FinalityStore finality, LedgerReads reads, UtxoCache cache,
                         MeterRegistry registry, LedgerKafka kafka, ValidationService validation, @ConfigProperty(name = "timecoin.network") String network,
                         @ConfigProperty(name = "timecoin.genesis.seed", defaultValue = "devnet") String genesisSeed,
                         @ConfigProperty(name = "timecoin.genesis.nodes", defaultValue = "4") int genesisNodes,
                         LedgerSettings settings) {
        this.chain = chain;
        this.validatorSets = validatorSets;
        this.locks = locks;
        this.finality = finality;
        this.reads = reads;
        this.cache = cache;
        this.registry = registry;
        this.kafka = kafka;
        this.validation = validation;
        this.network = Network.byName(network);
        this.genesisSeed = genesisSeed;
        this.genesisNodes = genesisNodes;
        this.lockTimeoutSeconds = settings.lockTimeoutSeconds();
        // the same on every replica (one database); a final-not-in-block count that keeps growing past
        // max-block-transactions means blocks archive less than finality produces
        registry.gauge("timecoin_ledger_mempool_transactions", mempoolReading, r -> r.get().pending());
        registry.gauge("timecoin_ledger_final_not_in_block_transactions", mempoolReading, r -> r.get().finalNotInBlock());
    }

    public int chainId() {
        return network.chainId();
    }

    /** Applies the devnet genesis on first start, then announces the tip (so a restarted consensus learns it). */
    void onStart(@Observes StartupEvent ev) {
        if (chain.tip().isEmpty()) {
            if (network != Network.DEVNET) throw new IllegalStateException("no genesis is defined for " + network + " yet");
            DevnetGenesis genesis = DevnetGenesis.create(genesisSeed, genesisNodes);
            chain.applyBlock(chainId(), genesis.block(), null);
            LOG.infof("applied devnet genesis %s (seed '%s', %d masternodes)", genesis.hash(), genesisSeed, genesisNodes);
        }
        ChainStore.Tip tip = chain.tip().orElseThrow();
        kafka.announce(new ChainStore.Applied(tip.height(), tip.hash(), tip.timestampMillis(), tip.utxoCommitment(), validatorSets.validatorSet(), false));
        sweeper.scheduleWithFixedDelay(this::sweepLocks, 5, 5, TimeUnit.SECONDS);
        sweeper.scheduleWithFixedDelay(this::readMempool, 0, 5, TimeUnit.SECONDS);
        sweeper.scheduleWithFixedDelay(validation::expireOrphans, 200, 200, TimeUnit.MILLISECONDS);
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
                kafka.rejected("tx.finalized", e.reason().name(), value);
                continue;
            }
            for (StackRecords.TxOutcome outcome : outcomes) {
                if (outcome instanceof StackRecords.Finalized f) {
                    long epoch = f.certificate().validatorSetHeight();
                    Optional<ValidatorSet> set = sets.computeIfAbsent(epoch, e -> Optional.ofNullable(kafka.durably(() -> validatorSets.certificateSet(e))));
                    if (set.isEmpty() || f.certificate().verify(chainId(), set.get()).isPresent()) {
                        kafka.rejected("tx.finalized", "BAD_FINALITY_CERTIFICATE", StackRecords.encode(f)); // parked alone: the others apply
                        continue;
                    }
                    certificates.add(f.certificate());
                } else if (outcome instanceof StackRecords.Released r) {
                    releases.add(r);
                }
            }
        }
        if (!certificates.isEmpty()) {
            FinalityStore.Finalities applied = kafka.durably(() -> finality.applyFinalities(certificates));
            cache.invalidate(applied.changed());
            // children wait for outputs, which exist only where the body is known (else they come with the body or the block)
            kafka.announceApplied(applied.withOutputs());
            validation.parentsFinal(applied.withOutputs().stream().map(Transaction::txid).toList());
        }
        for (StackRecords.Released r : releases) { // a release never undoes a finality: the order within a poll does not matter
            kafka.durably(() -> locks.release(r.txid(), r.reason()));
            cache.invalidate(kafka.durably(() -> locks.outPointsOf(r.txid())));
        }
    }

    private void readMempool() {
        try {
            mempoolReading.set(reads.mempool());
        } catch (RuntimeException e) {
            LOG.warnf("mempool count failed: %s", e.getMessage());
        }
    }

    private void sweepLocks() {
        try {
            for (Hash txid : locks.expiredLocks(lockTimeoutSeconds)) {
                if (locks.release(txid, "LOCK_EXPIRED")) registry.counter("timecoin_ledger_locks_expired").increment();
                cache.invalidate(locks.outPointsOf(txid));
            }
        } catch (RuntimeException e) {
            LOG.warnf("lock sweep failed: %s", e.getMessage());
        }
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
                kafka.rejected("blocks.finalized", e.reason().name(), value);
            }
        }
        if (blocks.isEmpty()) return;
        List<ChainStore.Applied> applied;
        try {
            applied = kafka.durably(() -> chain.applyBlocks(chainId(), blocks));
        } catch (ChainStore.InvalidBlockException e) {
            for (int i = 0; i < blocks.size(); i++) applyOne(blocks.get(i), records.get(i));
            return;
        }
        for (int i = 0; i < blocks.size(); i++) afterApplied(blocks.get(i), applied.get(i));
    }

    private void applyOne(StackRecords.FinalizedBlock f, byte[] record) {
        try {
            afterApplied(f, kafka.durably(() -> chain.applyBlock(chainId(), f.block(), f.certificate())));
        } catch (ChainStore.InvalidBlockException e) {
            kafka.rejected("blocks.finalized", e.reason().name(), record);
            LOG.warnf("finalized block %d (%s) not applied: %s", f.block().height(), f.block().hash(), e.reason().name());
        }
    }

    private void afterApplied(StackRecords.FinalizedBlock f, ChainStore.Applied a) {
        if (!a.alreadyApplied()) {
            registry.counter("timecoin_ledger_blocks_applied").increment();
        } else {
            // a block this ledger has: its consensus is behind it (a restored or wiped database, catching up from its
            // peers) and waits for the tip to be announced — say it again (consumers are idempotent)
            registry.counter("timecoin_ledger_tip_reannounced").increment();
        }
        kafka.announce(a);
        // a transaction this node never saw a certificate for becomes known through the block
        validation.parentsFinal(f.block().transactions().stream().map(Transaction::txid).toList());
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
            kafka.durably(() -> reads.block(height)).ifPresent(b -> {
                List<org.timecoin.protocol.model.OutPoint> changed = new ArrayList<>();
                for (Transaction tx : b.block().transactions()) changed.addAll(UtxoCache.touched(tx));
                cache.invalidate(changed);
                validation.parentsFinal(b.block().transactions().stream().map(Transaction::txid).toList());
            });
        } catch (ProtocolException e) {
            kafka.rejected("blocks.applied", e.reason().name(), value);
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
        for (ConsumerRecord<byte[], byte[]> record : poll) {
            if (kafka.announcedHere(record)) continue;
            StackRecords.TxApplied a;
            try {
                a = StackRecords.decodeTxApplied(record.value());
            } catch (ProtocolException e) {
                kafka.rejected("tx.applied", e.reason().name(), record.value());
                continue;
            }
            cache.invalidate(a.spent());
            validation.parentsFinal(a.txids());
        }
    }

    @PreDestroy
    void stop() {
        sweeper.shutdownNow();
    }
}
