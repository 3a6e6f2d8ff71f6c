package org.timecoin.consensus;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.model.MasternodeActivation;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.rules.RejectReason;
import org.timecoin.protocol.stack.StackRecords;

import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Proves that this masternode runs: while its key is not a voter of the set its ledger announces, it signs the block
 * just applied (an activation, PROTOCOL.md) and submits it like any transaction, again every {@link #RETRY_BLOCKS}
 * blocks until its ledger says it is active (a Free node never becomes a voter: the verdict ALREADY_ACTIVE stops it).
 * A node that is not registered gets NOT_REGISTERED and keeps trying, seldom: registering it later needs no restart.
 */
@ApplicationScoped
public class Activator {
    private static final Logger LOG = Logger.getLogger(Activator.class);
    static final long RETRY_BLOCKS = 16;

    private final NodeIdentity identity;
    private final Emitter<byte[]> submissions;
    private final MeterRegistry registry;
    private volatile boolean active;
    private volatile Hash pending;
    private long lastTriedHeight = Long.MIN_VALUE / 2;

    public Activator(NodeIdentity identity, @Channel("tx-submitted") @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 16) Emitter<byte[]> submissions,
                     MeterRegistry registry) {
        this.identity = identity;
        this.submissions = submissions;
        this.registry = registry;
    }

    synchronized void onBlockApplied(StackRecords.BlockApplied a) {
        if (a.nextSet().isVoter(identity.key().publicKey())) {
            active = true;
            return;
        }
        if (active || a.height() - lastTriedHeight < RETRY_BLOCKS) return;
        lastTriedHeight = a.height();
        Transaction tx = MasternodeActivation.sign(identity.chainId(), identity.key(), a.height(), a.hash()).transaction();
        pending = tx.txid();
        submissions.send(Message.of(tx.toBytes()).addMetadata(OutgoingKafkaRecordMetadata.<byte[]>builder().withKey(tx.txid().toByteArray()).build()));
        registry.counter("timecoin_consensus_activations_submitted").increment();
        LOG.infof("not a voter at height %d: activation %s submitted", a.height() + 1, tx.txid());
    }

    void onVerdict(StackRecords.Verdict v) {
        if (!v.txid().equals(pending)) return;
        if (RejectReason.ALREADY_ACTIVE.name().equals(v.reason())) active = true;
        LOG.infof("activation %s: %s%s", v.txid(), v.verdict(), v.reason() == null || v.reason().isEmpty() ? "" : " (" + v.reason() + ")");
    }
}
