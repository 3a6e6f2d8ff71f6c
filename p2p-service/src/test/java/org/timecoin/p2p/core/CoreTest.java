package org.timecoin.p2p.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.model.PeerAddress;

class CoreTest {

    @Test
    void syncAsksPeersAheadInTurnWithinTheWindow() {
        SyncPlanner s = new SyncPlanner(100, 250, 1_000);
        s.applied(10);
        assertThat(s.next(0)).isEmpty(); // nobody ahead
        s.peerHeight("p1", 1_000);
        s.peerHeight("p2", 1_000);
        SyncPlanner.Request r1 = s.next(0).orElseThrow();
        assertThat(r1.fromHeight()).isEqualTo(11);
        assertThat(r1.count()).isEqualTo(100);
        assertThat(s.next(1)).isEmpty(); // one in flight
        assertThat(s.solicited(r1.peer())).isTrue();
        s.answered(100);
        SyncPlanner.Request r2 = s.next(2).orElseThrow();
        assertThat(r2.fromHeight()).isEqualTo(111);
        assertThat(r2.peer()).isNotEqualTo(r1.peer()); // the other peer's turn
        s.answered(100);
        SyncPlanner.Request r3 = s.next(3).orElseThrow();
        assertThat(r3.count()).isEqualTo(50); // window: 250 ahead of applied height 10
        s.answered(50);
        assertThat(s.next(4)).isEmpty();
        s.applied(200);
        assertThat(s.next(5)).map(SyncPlanner.Request::fromHeight).contains(261L);
    }

    @Test
    void aSyncRequestRedeliversFromWhereConsensusStandsNotFromTheLedgersHeight() {
        SyncPlanner s = new SyncPlanner(100, 250, 1_000);
        s.applied(10);
        s.peerHeight("p1", 1_000);
        s.next(0).orElseThrow();
        s.answered(100); // 11..110 delivered
        // consensus ran ahead of its ledger to 111 and asks from there: 11..110 are not fetched again
        s.restartFrom(111);
        assertThat(s.next(1)).map(SyncPlanner.Request::fromHeight).contains(111L);
        s.answered(100); // 111..210
        // consensus lost what it was given past 151 (its buffer, a restart): delivered again from there
        s.restartFrom(152);
        assertThat(s.next(2)).map(SyncPlanner.Request::fromHeight).contains(152L);
        s.answered(50);
        // never below what the ledger applied
        s.restartFrom(3);
        assertThat(s.next(3)).map(SyncPlanner.Request::fromHeight).contains(11L);
    }

    @Test
    void aSlowPeerTimesOutAndARefusedOneIsDropped() {
        SyncPlanner s = new SyncPlanner(10, 100, 1_000);
        s.applied(0);
        s.peerHeight("slow", 50);
        s.peerHeight("bad", 50);
        SyncPlanner.Request first = s.next(0).orElseThrow();
        assertThat(s.next(999)).isEmpty();
        SyncPlanner.Request second = s.next(1_000).orElseThrow();
        assertThat(second.peer()).isNotEqualTo(first.peer());
        assertThat(second.fromHeight()).isEqualTo(1);
        s.refused();
        // the refusing peer is not asked again
        assertThat(s.next(1_001)).map(SyncPlanner.Request::peer).isEqualTo(Optional.of(first.peer()));
    }

    @Test
    void backoffGrowsAndResetsOnSuccess() {
        AddressBook book = new AddressBook(10, 100, 1_000);
        book.addSeed("127.0.0.1", 1);
        assertThat(book.due(0, 5, e -> false)).hasSize(1);
        book.attempting("127.0.0.1:1", 0, 0);
        assertThat(book.due(99, 5, e -> false)).isEmpty();
        book.failed("127.0.0.1:1");
        book.attempting("127.0.0.1:1", 100, 0); // 1 failure: 200 ms
        assertThat(book.due(299, 5, e -> false)).isEmpty();
        assertThat(book.due(300, 5, e -> false)).hasSize(1);
        for (int i = 0; i < 10; i++) book.failed("127.0.0.1:1");
        book.attempting("127.0.0.1:1", 1_000, 0.99); // capped at 1 s, jitter up to +50%
        assertThat(book.due(2_494, 5, e -> false)).isEmpty();
        assertThat(book.due(2_495, 5, e -> false)).hasSize(1);
        book.succeeded("127.0.0.1:1");
        assertThat(book.get("127.0.0.1:1").failures()).isZero();
    }

    @Test
    void aNodeThatMovedReplacesItsOldAddressAndStaleOnesAreIgnored() {
        var k = Ed25519Keys.deterministic("book", "n", 0);
        AddressBook book = new AddressBook(10, 100, 1_000);
        assertThat(book.learn(PeerAddress.sign(3, k, "10.0.0.1", 24200, 1_000))).isTrue();
        assertThat(book.learn(PeerAddress.sign(3, k, "10.0.0.2", 24200, 900))).isFalse();
        assertThat(book.learn(PeerAddress.sign(3, k, "10.0.0.2", 24200, 2_000))).isTrue();
        assertThat(book.signedAddresses(10)).extracting(PeerAddress::host).containsExactly("10.0.0.2");
    }

    @Test
    void reputationBansAtTheThresholdAndScoresDecay() {
        Reputation r = new Reputation(100, 60_000, 10, 1_000);
        assertThat(r.score("x", Offence.BAD_SIGNATURE, 0)).isFalse();
        assertThat(r.score("x", 0)).isEqualTo(50);
        assertThat(r.score("x", 60_000)).isEqualTo(40); // 10 points per minute
        assertThat(r.score("x", Offence.BAD_SIGNATURE, 60_000)).isFalse();
        assertThat(r.score("x", Offence.BAD_SIGNATURE, 60_000)).isTrue();
        assertThat(r.banned("x", 119_999)).isTrue();
        assertThat(r.banned("x", 120_000)).isFalse();
    }

    @Test
    void seenSetIsBounded() {
        SeenSet s = new SeenSet(2);
        Hash a = new Hash(new byte[32]);
        byte[] bb = new byte[32];
        bb[0] = 1;
        Hash b = new Hash(bb);
        byte[] cc = new byte[32];
        cc[0] = 2;
        assertThat(s.firstTime(a)).isTrue();
        assertThat(s.firstTime(a)).isFalse();
        s.firstTime(b);
        s.firstTime(new Hash(cc));
        assertThat(s.size()).isEqualTo(2);
        assertThat(s.firstTime(a)).isTrue(); // forgotten: oldest out
        assertThat(List.of(s.size())).containsExactly(2);
    }

    /**
     * Against a model (insertion-ordered map, oldest out): random hashes, repeats of recent and of forgotten ones, and
     * hashes built to share a table slot (the same first long) and the all-zero hash, so that probe runs form, wrap
     * around the table's end and are shifted back when their first entries are evicted.
     */
    @Test
    void seenSetAnswersAsAnInsertionOrderedSetOfTheLastCapacityHashes() {
        java.util.Random rnd = new java.util.Random(42);
        for (int capacity : new int[] {1, 2, 3, 7, 64, 1000}) {
            SeenSet s = new SeenSet(capacity);
            java.util.LinkedHashSet<Hash> model = new java.util.LinkedHashSet<>();
            List<Hash> offered = new java.util.ArrayList<>();
            for (int step = 0; step < 20_000; step++) {
                Hash h;
                int kind = rnd.nextInt(10);
                if (kind < 3 && !offered.isEmpty()) h = offered.get(offered.size() - 1 - rnd.nextInt(Math.min(offered.size(), 3 * capacity)));
                else if (kind < 5) h = sameSlot(rnd.nextInt(4), rnd.nextInt(16)); // few distinct hashes, long probe runs
                else if (kind == 5) h = new Hash(new byte[32]);
                else {
                    byte[] b = new byte[32];
                    rnd.nextBytes(b);
                    h = new Hash(b);
                }
                boolean expected = !model.contains(h);
                assertThat(s.contains(h)).isEqualTo(!expected);
                if (expected) {
                    model.add(h);
                    if (model.size() > capacity) model.remove(model.iterator().next());
                }
                assertThat(s.firstTime(h)).as("capacity %d, step %d", capacity, step).isEqualTo(expected);
                assertThat(s.size()).isEqualTo(model.size());
                offered.add(h);
            }
        }
    }

    private static Hash sameSlot(int slot, int variant) {
        byte[] b = new byte[32];
        b[7] = (byte) slot; // the first long decides the table slot
        b[15] = (byte) variant;
        b[15] |= (byte) 0x80; // never the all-zero hash
        return new Hash(b);
    }
}
