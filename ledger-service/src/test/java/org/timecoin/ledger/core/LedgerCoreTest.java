package org.timecoin.ledger.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.HashTag;
import org.timecoin.protocol.crypto.Hashes;
import org.timecoin.protocol.genesis.DevnetGenesis;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.Block;
import org.timecoin.protocol.model.BlockHeader;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxOutput;
import org.timecoin.protocol.rules.RejectReason;
import org.timecoin.protocol.rules.RewardSplit;
import org.timecoin.protocol.rules.ValidatorSet;

/** The ledger's pure rules: spend checks, block checks and the UTXO commitment. */
class LedgerCoreTest {
    static final DevnetGenesis G = DevnetGenesis.create("ledger-core", 4);
    static final int CHAIN = G.chainId();
    final KeyPair owner = G.fundedKeys().get(0);
    final KeyPair other = Ed25519Keys.deterministic("ledger-core", "other", 0);
    final TxOutput coin = new TxOutput(Amount.time(10), owner.keyHash());
    final OutPoint coinAt = new OutPoint(Hashes.tagged(HashTag.TX, new byte[] {1}), 0);

    Transaction spend(KeyPair signer, long out) {
        return Transaction.transfer(List.of(coinAt), List.of(new TxOutput(Amount.sat(out), other.keyHash()))).signed(CHAIN, List.of(signer));
    }

    @Test
    void spendCheckNeedsTheOwnersKeyAndTheFee() {
        SpendCheck.Result ok = SpendCheck.check(spend(owner, Amount.time(10).sat() - 1_000_000), List.of(coin), null);
        assertThat(ok.ok()).isTrue();
        assertThat(ok.fee()).isEqualTo(Amount.sat(1_000_000));
        assertThat(SpendCheck.check(spend(other, 1_000), List.of(coin), null).reject()).isEqualTo(RejectReason.KEY_MISMATCH);
        // by size: one input and one output need the 1,000 sat floor, whatever the amount
        assertThat(SpendCheck.check(spend(owner, Amount.time(10).sat() - 1_000), List.of(coin), null).ok()).isTrue();
        assertThat(SpendCheck.check(spend(owner, Amount.time(10).sat() - 999), List.of(coin), null).reject()).isEqualTo(RejectReason.FEE_TOO_LOW);
        assertThat(SpendCheck.check(spend(owner, Amount.time(11).sat()), List.of(coin), null).reject()).isEqualTo(RejectReason.INPUTS_BELOW_OUTPUTS);
    }

    Block child(Block parent, ValidatorSet set, List<Transaction> extra, Amount fees, long tsDelta) {
        var proposer = set.leader(parent.hash(), 0);
        List<Transaction> txs = new java.util.ArrayList<>();
        txs.add(Transaction.reward(parent.height() + 1, RewardSplit.split(RewardSplit.blockReward(fees), set, proposer)));
        txs.addAll(extra);
        return new Block(new BlockHeader(CHAIN, parent.height() + 1, parent.hash(), Block.merkleRoot(txs), parent.header().timestampMillis() + tsDelta, 0,
                proposer), txs);
    }

    @Test
    void blockCheckCoversParentTimeRewardAndDoubleSpends() {
        ValidatorSet set = G.validatorSet();
        Block g = G.block();
        Block ok = child(g, set, List.of(), Amount.ZERO, 1);
        assertThat(BlockCheck.check(ok, CHAIN, 0, g.hash(), g.header().timestampMillis(), set, Amount.ZERO)).isEmpty();
        assertThat(BlockCheck.check(ok, CHAIN, 0, Hash.ZERO, g.header().timestampMillis(), set, Amount.ZERO)).contains(BlockRejectReason.WRONG_PARENT);
        assertThat(BlockCheck.check(ok, CHAIN, 1, g.hash(), g.header().timestampMillis(), set, Amount.ZERO)).contains(BlockRejectReason.WRONG_HEIGHT);
        assertThat(BlockCheck.check(child(g, set, List.of(), Amount.ZERO, 0), CHAIN, 0, g.hash(), g.header().timestampMillis(), set, Amount.ZERO))
                .contains(BlockRejectReason.TIMESTAMP_NOT_AFTER_PARENT);
        assertThat(BlockCheck.check(ok, CHAIN, 0, g.hash(), g.header().timestampMillis(), set, Amount.sat(5))).contains(BlockRejectReason.WRONG_REWARD);
        Transaction a = spend(owner, 1_000_000);
        Transaction b = spend(owner, 2_000_000);
        Block twice = child(g, set, List.of(a, b), Amount.ZERO, 1);
        assertThat(BlockCheck.check(twice, CHAIN, 0, g.hash(), g.header().timestampMillis(), set, Amount.ZERO)).contains(BlockRejectReason.DOUBLE_SPEND_IN_BLOCK);
        assertThat(BlockCheck.check(ok, CHAIN + 1, 0, g.hash(), g.header().timestampMillis(), set, Amount.ZERO)).contains(BlockRejectReason.WRONG_CHAIN);
    }

    @Test
    void utxoCommitmentDependsOnTheSetNotTheOrder() {
        OutPoint p1 = new OutPoint(Hashes.tagged(HashTag.TX, new byte[] {2}), 0);
        OutPoint p2 = new OutPoint(Hashes.tagged(HashTag.TX, new byte[] {3}), 1);
        UtxoCommitment a = new UtxoCommitment(UtxoCommitment.EMPTY);
        a.add(p1, coin);
        a.add(p2, coin);
        UtxoCommitment b = new UtxoCommitment(UtxoCommitment.EMPTY);
        b.add(p2, coin);
        b.add(p1, coin);
        assertThat(a.value()).isEqualTo(b.value()).isNotEqualTo(UtxoCommitment.EMPTY);
        a.remove(p1, coin);
        a.remove(p2, coin);
        assertThat(a.value()).isEqualTo(UtxoCommitment.EMPTY);
        UtxoCommitment c = new UtxoCommitment(UtxoCommitment.EMPTY);
        c.add(p1, new TxOutput(Amount.time(11), owner.keyHash()));
        c.add(p2, coin);
        assertThat(c.value()).isNotEqualTo(b.value());
    }
}
