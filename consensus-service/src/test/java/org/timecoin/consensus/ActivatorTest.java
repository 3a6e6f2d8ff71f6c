package org.timecoin.consensus;

import org.timecoin.service.NodeIdentity;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.junit.jupiter.api.Test;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.HashTag;
import org.timecoin.protocol.crypto.Hashes;
import org.timecoin.protocol.genesis.DevnetGenesis;
import org.timecoin.protocol.model.MasternodeActivation;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxVerdict;
import org.timecoin.protocol.rules.ServiceProof;
import org.timecoin.protocol.rules.TransactionRules;
import org.timecoin.protocol.stack.StackRecords;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** When a node that is not a voter proves it runs, and when it stops (plain JUnit: the emitter records what it sends). */
class ActivatorTest {
    static final DevnetGenesis GENESIS = DevnetGenesis.create("activator-test", 4);

    static final class Recording implements Emitter<byte[]> {
        final List<byte[]> sent = new ArrayList<>();

        public CompletionStage<Void> send(byte[] v) {
            sent.add(v);
            return CompletableFuture.completedFuture(null);
        }

        public <M extends Message<? extends byte[]>> void send(M m) {
            sent.add(m.getPayload());
        }

        public void complete() {
        }

        public void error(Exception e) {
        }

        public boolean isCancelled() {
            return false;
        }

        public boolean hasRequests() {
            return true;
        }
    }

    static StackRecords.BlockApplied applied(long height) {
        return new StackRecords.BlockApplied(height, Hashes.tagged(HashTag.BLOCK, new byte[] {(byte) height}), 1_000 + height, Hash.ZERO,
                GENESIS.validatorSet().atHeight(height + 1));
    }

    @Test
    void aNodeSignsABlockJustBelowTheTipOncePerProofIntervalAndRetriesSoonAfterAPassingRefusal() {
        // index 7: a key of this genesis' seed that is not one of its 4 masternodes
        NodeIdentity outsider = new NodeIdentity("devnet", Optional.empty(), "activator-test", 7);
        Recording out = new Recording();
        Activator a = new Activator(outsider, out, new SimpleMeterRegistry());
        a.onBlockApplied(applied(9));
        assertThat(out.sent).as("it has not seen the block to sign yet").isEmpty();
        a.onBlockApplied(applied(10));
        a.onBlockApplied(applied(11));
        assertThat(out.sent).hasSize(1);
        Transaction tx = Transaction.decode(out.sent.get(0));
        MasternodeActivation act = (MasternodeActivation) tx.payload();
        assertThat(act.nodeKey()).isEqualTo(outsider.key().publicKey());
        assertThat(act.height()).isEqualTo(11 - MasternodeActivation.SIGNED_DEPTH);
        assertThat(act.blockHash()).isEqualTo(applied(9).hash());
        assertThat(TransactionRules.checkStateless(tx)).isEmpty();
        assertThat(TransactionRules.checkSignatures(tx, outsider.chainId())).isEmpty();
        for (long h = 12; h < 11 + ServiceProof.INTERVAL_BLOCKS; h++) a.onBlockApplied(applied(h));
        assertThat(out.sent).as("not again within the interval").hasSize(1);
        a.onBlockApplied(applied(11 + ServiceProof.INTERVAL_BLOCKS));
        assertThat(out.sent).hasSize(2);
        // approved, or refused for a lasting reason: the next proof an interval later
        a.onVerdict(new StackRecords.Verdict(Transaction.decode(out.sent.get(1)).txid(), TxVerdict.REJECT, "NOT_REGISTERED"));
        long h = 11 + ServiceProof.INTERVAL_BLOCKS;
        for (int i = 0; i < Activator.RETRY_AFTER_REFUSAL_BLOCKS; i++) a.onBlockApplied(applied(++h));
        assertThat(out.sent).hasSize(2);
        // refused by its ledger for a passing reason (a proof of it still pending): again a few blocks on
        for (long k = h + 1; k < 11 + 2 * ServiceProof.INTERVAL_BLOCKS; k++) a.onBlockApplied(applied(k));
        h = 11 + 2 * ServiceProof.INTERVAL_BLOCKS;
        a.onBlockApplied(applied(h));
        assertThat(out.sent).hasSize(3);
        a.onVerdict(new StackRecords.Verdict(Transaction.decode(out.sent.get(2)).txid(), TxVerdict.REJECT, "NODE_KEY_IN_USE"));
        for (int i = 0; i < Activator.RETRY_AFTER_REFUSAL_BLOCKS; i++) a.onBlockApplied(applied(++h));
        assertThat(out.sent).hasSize(4);
        // too soon after its latest proof (a genesis member's first try, a restart): that one is under MIN_GAP_BLOCKS old,
        // so a few blocks on the next passes; an interval later would leave it close to expiry
        a.onVerdict(new StackRecords.Verdict(Transaction.decode(out.sent.get(3)).txid(), TxVerdict.REJECT, "ALREADY_ACTIVE"));
        for (int i = 0; i < Activator.RETRY_AFTER_REFUSAL_BLOCKS; i++) a.onBlockApplied(applied(++h));
        assertThat(out.sent).hasSize(5);
    }

    @Test
    void aVoterRenewsItsProofEveryIntervalSoItStaysWellWithinTheExpiry() {
        NodeIdentity member = new NodeIdentity("devnet", Optional.empty(), "activator-test", 0);
        Recording out = new Recording();
        Activator a = new Activator(member, out, new SimpleMeterRegistry());
        long last = Long.MIN_VALUE;
        for (long h = 1; h <= 10 * ServiceProof.INTERVAL_BLOCKS; h++) {
            int before = out.sent.size();
            a.onBlockApplied(applied(h));
            if (out.sent.size() > before) {
                long named = ((MasternodeActivation) Transaction.decode(out.sent.get(before)).payload()).height();
                if (last != Long.MIN_VALUE) assertThat(ServiceProof.renews(last, named)).isTrue();
                last = named;
            }
            if (last != Long.MIN_VALUE) assertThat(ServiceProof.expiredAt(last, h + 1)).isFalse();
        }
        assertThat(out.sent).hasSize(10);
    }
}
