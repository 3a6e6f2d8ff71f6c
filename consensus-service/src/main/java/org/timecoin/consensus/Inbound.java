package org.timecoin.consensus;

import org.timecoin.service.NodeIdentity;
import org.timecoin.service.RecordRejections;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;

import java.util.ArrayList;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.timecoin.consensus.core.Event;
import org.timecoin.consensus.core.MessageVerifier;
import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.stack.StackRecords;

import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.reactive.messaging.annotations.Blocking;

/**
 * Kafka in: decodes each record strictly and verifies signatures on worker threads, in parallel (never on the event
 * loop), then hands the event to the core. A record that does not decode is parked, one that does not verify is dropped
 * (see {@link RecordRejections}): either changes nothing and never blocks the topic.
 */
@ApplicationScoped
public class Inbound {

    private final CoreRunner runner;
    private final ConsensusStore store;
    private final NodeIdentity identity;
    private final RecordRejections rejections;
    private final Activator activator;
    /** How many nested messages a consensus message may carry per list before its signatures are checked (from the last set seen). */
    private volatile int nestedBound = org.timecoin.protocol.model.Limits.MAX_VALIDATORS;

    public Inbound(CoreRunner runner, ConsensusStore store, NodeIdentity identity, MeterRegistry registry, Activator activator,
                   @Channel("dead-letters") Emitter<byte[]> deadLetters) {
        this.runner = runner;
        this.store = store;
        this.identity = identity;
        this.rejections = new RecordRejections("consensus", registry, deadLetters);
        this.activator = activator;
    }


    @Incoming("consensus-in")
    @Blocking(ordered = false)
    public void onPeerTraffic(byte[] value) {
        StackRecords.PeerTraffic t;
        try {
            t = StackRecords.decodePeerTraffic(value);
        } catch (ProtocolException e) {
            rejections.park("consensus.in", e.reason().name(), value);
            return;
        }
        if (t instanceof StackRecords.ConsensusMsg m) {
            if (m.message().message().chainId() != identity.chainId()) rejections.drop("consensus.in", "WRONG_CHAIN");
            else if (!MessageVerifier.verifyDeep(m.message(), nestedBound)) rejections.drop("consensus.in", "BAD_SIGNATURE");
            else runner.submit(new Event.MessageVerified(m.message()));
        } else if (t instanceof StackRecords.Votes v) {
            if (v.batch().chainId() != identity.chainId()) rejections.drop("consensus.in", "WRONG_CHAIN");
            else if (!v.batch().signatureValid()) rejections.drop("consensus.in", "BAD_SIGNATURE");
            else runner.submit(new Event.VotesVerified(v.batch()));
        } else if (t instanceof StackRecords.SyncedBlock s) {
            runner.submit(new Event.BlockSynced(s.block(), s.certificate())); // the core checks the commit certificate
        } else {
            rejections.park("consensus.in", "UNEXPECTED_KIND", value);
        }
    }

    /** One poll of verdicts (each record a ledger poll's) becomes one signed vote batch. */
    @Incoming("tx-verdicts")
    @Blocking
    public void onVerdicts(List<byte[]> values) {
        List<Event.LocalVerdict> verdicts = new ArrayList<>(values.size());
        for (byte[] v : values) {
            try {
                for (StackRecords.Verdict d : StackRecords.decodeVerdicts(v)) {
                    verdicts.add(new Event.LocalVerdict(d.txid(), d.verdict()));
                    activator.onVerdict(d);
                }
            } catch (ProtocolException e) {
                rejections.park("tx.verdicts", e.reason().name(), v);
            }
        }
        if (!verdicts.isEmpty()) runner.submit(new Event.LocalVerdicts(verdicts));
    }

    @Incoming("blocks-applied")
    @Blocking
    public void onBlockApplied(byte[] value) {
        try {
            StackRecords.BlockApplied a = StackRecords.decodeBlockApplied(value);
            store.saveApplied(a.height(), value); // before the offset is committed: a restart on its own knows the tip
            runner.submit(new Event.BlockApplied(a.height(), a.hash(), a.timestampMillis(), a.nextSet()));
            int voters = a.nextSet().voters().size() + (a.nextSet().jointWith() == null ? 0 : a.nextSet().jointWith().voters().size());
            nestedBound = MessageVerifier.nestedBound(voters);
            activator.onBlockApplied(a);
        } catch (ProtocolException e) {
            rejections.park("blocks.applied", e.reason().name(), value);
        }
    }

    @Incoming("proposals-responses")
    @Blocking
    public void onProposalResponse(byte[] value) {
        try {
            StackRecords.ProposalResponse r = StackRecords.decodeProposalResponse(value);
            if (r instanceof StackRecords.Built b) runner.submit(new Event.ProposalBuilt(b.height(), b.round(), b.block(), b.certificates()));
            else if (r instanceof StackRecords.Checked c) runner.submit(new Event.ProposalChecked(c.height(), c.round(), c.blockHash(), c.valid()));
        } catch (ProtocolException e) {
            rejections.park("proposals.responses", e.reason().name(), value);
        }
    }
}
