package org.timecoin.consensus;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.model.MasternodeActivation;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.rules.ServiceProof;
import org.timecoin.protocol.stack.StackRecords;

import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Proves that this masternode runs (PROTOCOL.md, "Proof of service"): every {@link ServiceProof#INTERVAL_BLOCKS} blocks
 * it signs the block just applied and submits it like any transaction — an activation while it is out of the set, a
 * renewal while it is in (a member that stops proving leaves the set). A node that is not registered gets
 * NOT_REGISTERED and keeps trying at the same pace: registering it later needs no restart. A proof sent too soon after
 * the last (after a restart) gets ALREADY_ACTIVE and changes nothing.
 */
@ApplicationScoped
public class Activator {
    private static final Logger LOG = Logger.getLogger(Activator.class);

    private final NodeIdentity identity;
    private final Emitter<byte[]> submissions;
    private final MeterRegistry registry;
    private volatile Hash pending;
    private long lastTriedHeight = Long.MIN_VALUE / 2;

    public Activator(NodeIdentity identity, @Channel("tx-submitted") @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 16) Emitter<byte[]> submissions,
                     MeterRegistry registry) {
        this.identity = identity;
        this.submissions = submissions;
        this.registry = registry;
    }

    synchronized void onBlockApplied(StackRecords.BlockApplied a) {
        if (a.height() - lastTriedHeight < ServiceProof.INTERVAL_BLOCKS) return;
        lastTriedHeight = a.height();
        Transaction tx = MasternodeActivation.sign(identity.chainId(), identity.key(), a.height(), a.hash()).transaction();
        pending = tx.txid();
        submissions.send(Message.of(tx.toBytes()).addMetadata(OutgoingKafkaRecordMetadata.<byte[]>builder().withKey(tx.txid().toByteArray()).build()));
        registry.counter("timecoin_consensus_activations_submitted").increment();
        LOG.debugf("proof of service %s submitted at height %d (a voter at the next: %s)", tx.txid(), a.height(), a.nextSet().isVoter(identity.key().publicKey()));
    }

    void onVerdict(StackRecords.Verdict v) {
        if (!v.txid().equals(pending)) return;
        LOG.infof("proof of service %s: %s%s", v.txid(), v.verdict(), v.reason() == null || v.reason().isEmpty() ? "" : " (" + v.reason() + ")");
    }
}
