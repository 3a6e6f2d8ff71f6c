package org.timecoin.consensus;

import org.timecoin.service.KeyedRecords;
import org.timecoin.service.NodeIdentity;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.jboss.logging.Logger;
import org.timecoin.consensus.core.Action;
import org.timecoin.consensus.core.ConsensusCore;
import org.timecoin.consensus.core.CoreConfig;
import org.timecoin.consensus.core.Event;
import org.timecoin.consensus.core.EventQueue;
import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.model.ConsensusMessage.PrePrepare;
import org.timecoin.protocol.stack.StackRecords;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.Startup;


/**
 * Owns the consensus core on one thread ("consensus-core"): every event is enqueued here and handled in its lane's order, and
 * the core's actions are carried out on that same thread, in order — a signed message is committed to PostgreSQL
 * before it is handed to Kafka. Timers only enqueue events. Nothing here runs on a Vert.x event loop.
 */
@Startup
@ApplicationScoped
public class CoreRunner {
    private static final Logger LOG = Logger.getLogger(CoreRunner.class);

    private final ExecutorService loop = Executors.newSingleThreadExecutor(r -> new Thread(r, "consensus-core"));
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "consensus-timers"));
    private final EventQueue inbox = new EventQueue();
    private final Map<EventQueue.Lane, Timer> queueWait = new EnumMap<>(EventQueue.Lane.class);
    private final ConsensusCore core;
    private final NodeIdentity identity;
    private final ConsensusStore store;
    private final int maxEvidence;
    private final MeterRegistry registry;

    @Inject
    @Channel("consensus-out")
    Emitter<byte[]> consensusOut;
    @Inject
    @Channel("tx-finalized")
    Emitter<byte[]> txFinalized;
    @Inject
    @Channel("blocks-finalized")
    Emitter<byte[]> blocksFinalized;
    @Inject
    @Channel("proposals-requests")
    Emitter<byte[]> proposalRequests;

    private final Counter blocksCounter;
    private final Counter roundChanges;
    private final Counter txFinal;
    private final Counter txReleased;
    private final Counter evidenceCounter;
    private final Timer txFinality;
    private final Timer blockTime;
    private final Map<Hash, Long> verdictAt = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Hash, Long> e) {
            return size() > 100_000;
        }
    };
    /** When each request to the ledger (build or check, by height and round) was sent; only the core's thread uses it. */
    private final Map<String, Long> askedAt = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> e) {
            return size() > 1_000;
        }
    };
    private final Timer proposalAge;
    private long heightStartedAt = System.nanoTime();
    // When this node's core entered its current round, and when it asked for its own round-0 block: the start of a
    // round it leads, for the leader's proposal delay
    private long roundEnteredAt = System.nanoTime();
    private long roundZeroBuildAskedAt = System.nanoTime();
    private volatile long height = -1;
    private volatile int round;
    private volatile int timeoutStep;

    public CoreRunner(NodeIdentity identity, ConsensusStore store, MeterRegistry registry, ConsensusSettings settings) {
        this.identity = identity;
        this.store = store;
        this.maxEvidence = settings.maxEvidence();
        this.registry = registry;
        this.core = new ConsensusCore(identity.chainId(), identity.key(), settings.coreConfig());
        List<Action.PersistSigned> signed = store.loadFrom(0);
        core.restore(signed);
        LOG.infof("consensus core for validator %s on %s; %d signed messages restored", identity.key().publicKey(), identity.network(), signed.size());
        blocksCounter = registry.counter("timecoin_consensus_blocks_finalized");
        roundChanges = registry.counter("timecoin_consensus_round_changes");
        txFinal = registry.counter("timecoin_consensus_transactions_finalized");
        txReleased = registry.counter("timecoin_consensus_transactions_released");
        evidenceCounter = registry.counter("timecoin_consensus_evidence");
        txFinality = Timer.builder("timecoin_consensus_tx_finality").description("local verdict to finality certificate")
                .publishPercentileHistogram().register(registry);
        blockTime = Timer.builder("timecoin_consensus_block").description("start of a height to its finalized block")
                .publishPercentileHistogram().register(registry);
        proposalAge = Timer.builder("timecoin_consensus_proposal_age").description("a proposal's age (from its timestamp) when this node's core gets it")
                .publishPercentileHistogram().register(registry);
        for (EventQueue.Lane lane : EventQueue.Lane.values()) {
            queueWait.put(lane, Timer.builder("timecoin_consensus_queue_wait").description("an event's wait in the core's inbox, by lane")
                    .tag("lane", lane.name().toLowerCase()).publishPercentileHistogram().register(registry));
        }
        registry.gauge("timecoin_consensus_queue_depth", inbox, EventQueue::size);
        registry.gauge("timecoin_consensus_height", this, r -> r.height);
        registry.gauge("timecoin_consensus_round", this, r -> r.round);
        registry.gauge("timecoin_consensus_timeout_step", this, r -> r.timeoutStep);
    }

    /**
     * A consensus restarted on its own (its ledger running on) gets no blocks.applied until the next block, which it must
     * help to finalize: it starts from the last one its ledger announced. A newer record from the topic wins in the core.
     * After injection, since starting a height may send.
     */
    @PostConstruct
    void startFromTheLastAppliedBlock() {
        store.lastApplied().ifPresent(bytes -> {
            try {
                StackRecords.BlockApplied a = StackRecords.decodeBlockApplied(bytes);
                submit(new Event.BlockApplied(a.height(), a.hash(), a.timestampMillis(), a.nextSet()));
                LOG.infof("starting after block %d, the last its ledger announced", a.height());
            } catch (ProtocolException e) { // written by another version: the ledger's next announcement replaces it
                LOG.warnf("stored applied block not readable (%s); waiting for the ledger's next one", e.getMessage());
            }
        });
    }

    /**
     * Enqueues an event for the core (any thread). Each call queues one event and schedules one turn of the core's
     * thread, which takes the next event by lane ({@link EventQueue}): block progress before transaction votes.
     */
    public void submit(Event event) {
        inbox.add(event, System.nanoTime());
        loop.execute(this::handleNext);
    }

    private void handleNext() {
        EventQueue.Queued queued = inbox.poll();
        if (queued == null) return; // one turn per queued event: never empty here
        Event event = queued.event();
        queueWait.get(queued.lane()).record(System.nanoTime() - queued.queuedAtNanos(), TimeUnit.NANOSECONDS);
        try {
            if (event instanceof Event.LocalVerdicts v) {
                long now = System.nanoTime();
                for (Event.LocalVerdict lv : v.verdicts()) verdictAt.putIfAbsent(lv.txid(), now);
            } else if (event instanceof Event.ProposalBuilt b) {
                answered("build", b.height(), b.round());
            } else if (event instanceof Event.ProposalChecked c) {
                answered("check", c.height(), c.round());
            }
            List<StackRecords.TxOutcome> outcomes = new ArrayList<>();
            try {
                for (Action a : core.handle(event)) execute(a, outcomes);
            } finally {
                // one event's outcomes (a tally can finalize a whole vote batch) go out as one record, not one per
                // transaction; even if a later action failed, since the core has already counted them
                for (byte[] record : StackRecords.encodeOutcomes(outcomes)) txFinalized.send(record);
            }
            int r = core.round();
            if (r > round && core.height() == height) roundChanges.increment();
            if (core.height() != height) heightStartedAt = System.nanoTime();
            if (core.height() != height || r != round) roundEnteredAt = System.nanoTime();
            height = core.height();
            round = r;
        } catch (RuntimeException e) {
            LOG.errorf(e, "consensus core failed on %s", event.getClass().getSimpleName());
        }
    }

    /** A ledger's answer came: how long the request waited for it (Kafka both ways, the ledger's queue and work). */
    private void answered(String work, long height, int round) {
        Long t0 = askedAt.remove(work + " " + height + " " + round);
        if (t0 == null) return;
        Timer.builder("timecoin_consensus_ledger_answer").description("a proposal request to the ledger until its answer").tag("work", work)
                .publishPercentileHistogram().register(registry).record(Duration.ofNanos(System.nanoTime() - t0));
    }

    /**
     * This node leads a round and proposes: how long after the round began (round 0: after its interval ended and the
     * block was asked for; a later round: after this node entered it — its ledger's build and the quorum of
     * RoundChanges both come within this delay). 0 when the round began with the same event.
     */
    private void leaderProposed(PrePrepare p) {
        long now = System.nanoTime();
        long since = p.round() == 0 ? roundZeroBuildAskedAt : p.round() == round && p.height() == height ? roundEnteredAt : now;
        Timer.builder("timecoin_consensus_leader_proposal").description("round start to this leader's proposal").tag("round", p.round() == 0 ? "0" : "later")
                .publishPercentileHistogram().register(registry).record(Duration.ofNanos(now - since));
    }

    /** The value of one of this runner's counters. */
    double counted(String name) {
        return registry.counter(name).count();
    }

    /** Reads the core's state on its own thread. */
    public <T> CompletableFuture<T> query(Function<ConsensusCore, T> reader) {
        return CompletableFuture.supplyAsync(() -> reader.apply(core), loop);
    }

    private void execute(Action a, List<StackRecords.TxOutcome> outcomes) {
        if (a instanceof Action.PersistSigned p) {
            store.save(p);
        } else if (a instanceof Action.Broadcast b) {
            if (b.message().message() instanceof PrePrepare p && p.signer().equals(identity.key().publicKey())) leaderProposed(p);
            send(consensusOut, b.message().message().height(), StackRecords.encode(new StackRecords.ConsensusMsg(b.message())));
        } else if (a instanceof Action.BroadcastVotes v) {
            send(consensusOut, v.batch().validatorSetHeight(), StackRecords.encode(new StackRecords.Votes(v.batch())));
        } else if (a instanceof Action.ScheduleTimer t) {
            timers.schedule(() -> submit(new Event.TimerFired(t.timer())), t.delayMillis(), TimeUnit.MILLISECONDS);
        } else if (a instanceof Action.BuildProposal b) {
            if (b.round() == 0) roundZeroBuildAskedAt = System.nanoTime();
            askedAt.put("build " + b.height() + " " + b.round(), System.nanoTime());
            send(proposalRequests, b.height(), StackRecords.encode(new StackRecords.BuildRequest(b.height(), b.round(), b.previousHash(),
                    b.previousTimestampMillis(), identity.key().publicKey())));
        } else if (a instanceof Action.CheckProposal c) {
            askedAt.put("check " + c.height() + " " + c.round(), System.nanoTime());
            // how old the leader's proposal is when it reaches this node's core (its timestamp is the leader's clock)
            proposalAge.record(Duration.ofMillis(Math.max(0, System.currentTimeMillis() - c.block().header().timestampMillis())));
            send(proposalRequests, c.height(), StackRecords.encode(new StackRecords.CheckRequest(c.height(), c.round(), c.block(), c.certificates())));
        } else if (a instanceof Action.BlockFinalized f) {
            send(blocksFinalized, f.block().height(), StackRecords.encode(new StackRecords.FinalizedBlock(f.block(), f.certificate())));
            blocksCounter.increment();
            blockTime.record(Duration.ofNanos(System.nanoTime() - heightStartedAt));
            store.pruneBelow(f.block().height() - 1);
        } else if (a instanceof Action.TxFinalized f) {
            outcomes.add(new StackRecords.Finalized(f.certificate()));
            txFinal.increment();
            Long t = verdictAt.remove(f.certificate().txid());
            if (t != null) txFinality.record(Duration.ofNanos(System.nanoTime() - t));
        } else if (a instanceof Action.TxReleased r) {
            outcomes.add(new StackRecords.Released(r.txid(), r.reason().name()));
            txReleased.increment();
            verdictAt.remove(r.txid());
        } else if (a instanceof Action.EvidenceFound e) {
            evidenceCounter.increment();
            store.saveEvidence(e.evidence(), maxEvidence);
            LOG.warnf("equivocation evidence against validator %s: %s", e.evidence().offender(), e.evidence().getClass().getSimpleName());
        } else if (a instanceof Action.SyncNeeded s) {
            send(consensusOut, s.fromHeight(), StackRecords.encode(new StackRecords.SyncRequest(s.fromHeight())));
        }
    }

    /** Keyed by height: one height's records stay in order. */
    private static void send(Emitter<byte[]> emitter, long height, byte[] value) {
        KeyedRecords.send(emitter, StackRecords.heightKey(height), value);
    }

    @PreDestroy
    void stop() {
        timers.shutdownNow();
        loop.shutdown();
    }
}
