package org.timecoin.ledger.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

import org.junit.jupiter.api.Test;
import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.HashTag;
import org.timecoin.protocol.crypto.Hashes;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxOutput;

class BlockOrderTest {
    static final KeyPair KEY = Ed25519Keys.deterministic("block-order", "key", 0);

    static Transaction spend(OutPoint from, long sat) {
        return Transaction.transfer(List.of(from), List.of(new TxOutput(Amount.sat(sat), KEY.keyHash()))).signed(1, List.of(KEY));
    }

    static OutPoint confirmed(int i) {
        return new OutPoint(Hashes.tagged(HashTag.TX, new byte[] {(byte) i}), 0);
    }

    /** A parent and a child whose txid sorts before the parent's (txid order alone would put the child first). */
    static Transaction[] parentAndEarlierChild() {
        Transaction parent = spend(confirmed(0), 1_000_000);
        for (long sat = 900_000; ; sat--) {
            Transaction child = spend(new OutPoint(parent.txid(), 0), sat);
            if (child.txid().compareTo(parent.txid()) < 0) return new Transaction[] {parent, child};
        }
    }

    @Test
    void parentsComeBeforeTheirChildrenWhateverTheTxids() {
        Transaction[] pc = parentAndEarlierChild();
        Transaction grandchild = spend(new OutPoint(pc[1].txid(), 0), 800_000);
        Transaction other = spend(confirmed(1), 5_000);
        List<Transaction> byTxid = new ArrayList<>(List.of(pc[0], pc[1], grandchild, other));
        byTxid.sort(Comparator.comparing(Transaction::txid));

        List<Hash> order = BlockOrder.arrange(byTxid, Function.identity(), Set.of()).stream().map(Transaction::txid).toList();

        assertThat(order).containsExactlyInAnyOrder(pc[0].txid(), pc[1].txid(), grandchild.txid(), other.txid());
        assertThat(order.indexOf(pc[0].txid())).isLessThan(order.indexOf(pc[1].txid()));
        assertThat(order.indexOf(pc[1].txid())).isLessThan(order.indexOf(grandchild.txid()));
        // deterministic: the same candidates in any order give the same block order
        List<Transaction> reversed = new ArrayList<>(byTxid);
        java.util.Collections.reverse(reversed);
        assertThat(BlockOrder.arrange(reversed, Function.identity(), Set.of()).stream().map(Transaction::txid).toList()).isEqualTo(order);
    }

    @Test
    void aChildWhoseParentIsLeftOutIsLeftOutWithItsDescendants() {
        Transaction[] pc = parentAndEarlierChild();
        Transaction grandchild = spend(new OutPoint(pc[1].txid(), 0), 800_000);
        Transaction other = spend(confirmed(2), 5_000);

        List<Transaction> arranged = BlockOrder.arrange(List.of(pc[1], grandchild, other), Function.identity(), Set.of(pc[0].txid()));

        assertThat(arranged).extracting(Transaction::txid).containsExactly(other.txid());
    }
}
