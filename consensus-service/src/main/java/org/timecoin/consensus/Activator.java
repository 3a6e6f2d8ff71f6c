package org.timecoin.consensus;

import org.timecoin.service.NodeIdentity;
import org.timecoin.service.KeyedRecords;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.model.MasternodeActivation;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxVerdict;
import org.timecoin.protocol.rules.RejectReason;
import org.timecoin.protocol.rules.ServiceProof;
import org.timecoin.protocol.stack.StackRecords;

import io.micrometer.core.instrument.MeterRegistry;

/**
 * Proves that this masternode runs (PROTOCOL.md, "Proof of service"): every {@link ServiceProof#INTERVAL_BLOCKS} blocks
 * it signs a block {@link MasternodeActivation#SIGNED_DEPTH} below the one just applied and submits it like any transaction — an activation while it is out of the set, a
 * renewal while it is in (a member that stops proving leaves the set). A node that is not registered gets
 * NOT_REGISTERED and keeps trying at the same pace: registering it later needs no restart. A proof sent too soon after
 * the last (after a restart, or a genesis member's first) gets ALREADY_ACTIVE and changes nothing; it is tried again a
 * few blocks later, not an interval later, since the one it follows is less than {@link ServiceProof#MIN_GAP_BLOCKS}
 * old: waiting a whole interval would let a member that restarted just before its next proof come close to expiry.
 */
@ApplicationScoped
public class Activator {
    private static final Logger LOG = Logger.getLogger(Activator.class);

    private final NodeIdentity identity;
    private final Emitter<byte[]> submissions;
    private final MeterRegistry registry;
    /** After its own ledger refused a proof for a passing reason, the next try comes this many blocks later. */
    static final int RETRY_AFTER_REFUSAL_BLOCKS = 4;
    private final java.util.TreeMap<Long, Hash> recent = new java.util.TreeMap<>();
    private volatile Hash pending;
    private long lastTriedHeight = Long.MIN_VALUE / 2;
    private long lastSeenHeight;

    public Activator(NodeIdentity identity, @Channel("tx-submitted") @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 16) Emitter<byte[]> submissions,
                     MeterRegistry registry) {
        this.identity = identity;
        this.submissions = submissions;
        this.registry = registry;
    }

    synchronized void onBlockApplied(StackRecords.BlockApplied a) {
        recent.put(a.height(), a.hash());
        recent.headMap(a.height() - MasternodeActivation.SIGNED_DEPTH).clear();
        lastSeenHeight = a.height();
        // the block a little below the tip: a validator a block or two behind has it too, and votes for the proof
        long signed = a.height() - MasternodeActivation.SIGNED_DEPTH;
        Hash hash = recent.get(signed);
        if (hash == null || a.height() - lastTriedHeight < ServiceProof.INTERVAL_BLOCKS) return;
        lastTriedHeight = a.height();
        Transaction tx = MasternodeActivation.sign(identity.chainId(), identity.key(), signed, hash).transaction();
        pending = tx.txid();
        KeyedRecords.send(submissions, tx.txid().toByteArray(), tx.toBytes());
        registry.counter("timecoin_consensus_activations_submitted").increment();
        LOG.debugf("proof of service %s submitted at height %d (a voter at the next: %s)", tx.txid(), a.height(), a.nextSet().isVoter(identity.key().publicKey()));
    }

    synchronized void onVerdict(StackRecords.Verdict v) {
        if (!v.txid().equals(pending)) return;
        LOG.infof("proof of service %s: %s%s", v.txid(), v.verdict(), v.reason() == null || v.reason().isEmpty() ? "" : " (" + v.reason() + ")");
        // refused by its own ledger for a passing reason (too soon after its latest proof, a proof of it still pending, a
        // block it lacks): again soon, not an interval later (two missed intervals expire a member); a refusal costs only
        // its own ledger's check, as a refused proof goes no further
        boolean settled = v.verdict() == TxVerdict.APPROVE || RejectReason.NOT_REGISTERED.name().equals(v.reason());
        if (!settled) lastTriedHeight = lastSeenHeight - ServiceProof.INTERVAL_BLOCKS + RETRY_AFTER_REFUSAL_BLOCKS;
    }
}
