package org.timecoin.ledger.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

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

/** The orphan pool's bookkeeping, with a hand-driven clock. */
class OrphanPoolTest {
    final KeyPair key = Ed25519Keys.deterministic("orphans", "key", 0);
    final Hash parentA = Hashes.tagged(HashTag.TX, new byte[] {1});
    final Hash parentB = Hashes.tagged(HashTag.TX, new byte[] {2});

    Transaction spending(long out, Hash... parents) {
        List<OutPoint> inputs = java.util.Arrays.stream(parents).map(p -> new OutPoint(p, 0)).toList();
        return Transaction.transfer(inputs, List.of(new TxOutput(Amount.sat(out), key.keyHash()))).signed(3, java.util.Collections.nCopies(parents.length, key));
    }

    @Test
    void aParentBecomingFinalReleasesItsChildrenOnce() {
        OrphanPool pool = new OrphanPool(10, 3_000);
        Transaction a1 = spending(1, parentA);
        Transaction a2 = spending(2, parentA);
        Transaction b = spending(3, parentB);
        assertThat(pool.park(a1, 0)).isTrue();
        assertThat(pool.park(a2, 10)).isTrue();
        assertThat(pool.park(b, 20)).isTrue();
        assertThat(pool.park(a1, 30)).as("held once").isTrue();
        assertThat(pool.size()).isEqualTo(3);

        assertThat(pool.parentFinal(parentA)).extracting(OrphanPool.Held::tx).containsExactlyInAnyOrder(a1, a2);
        assertThat(pool.parentFinal(parentA)).isEmpty();
        assertThat(pool.size()).isEqualTo(1);
        assertThat(pool.expired(2_999)).isEmpty();
        assertThat(pool.expired(3_020)).extracting(OrphanPool.Held::tx).containsExactly(b);
        assertThat(pool.size()).isZero();
    }

    @Test
    void aChildOfTwoParentsKeepsItsFirstDeadlineWhenParkedAgain() {
        OrphanPool pool = new OrphanPool(10, 1_000);
        Transaction both = spending(5, parentA, parentB);
        pool.park(both, 500);
        List<OrphanPool.Held> released = pool.parentFinal(parentB);
        assertThat(released).singleElement().extracting(OrphanPool.Held::deadlineMillis).isEqualTo(1_500L);
        assertThat(pool.parentFinal(parentA)).as("no longer indexed under its other parent").isEmpty();
        // parentA is still unknown when it is validated again: back in the pool with the same deadline
        assertThat(pool.parkUntil(both, released.get(0).deadlineMillis())).isTrue();
        assertThat(pool.expired(1_499)).isEmpty();
        assertThat(pool.expired(1_500)).extracting(OrphanPool.Held::tx).containsExactly(both);
    }

    @Test
    void aFullPoolOrAZeroWaitRefuses() {
        OrphanPool full = new OrphanPool(1, 1_000);
        assertThat(full.park(spending(1, parentA), 0)).isTrue();
        assertThat(full.park(spending(2, parentB), 0)).isFalse();
        assertThat(full.size()).isEqualTo(1);
        assertThat(new OrphanPool(10, 0).park(spending(1, parentA), 0)).as("waiting switched off").isFalse();
    }
}
