package org.timecoin.p2p.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.timecoin.p2p.core.SyncPlanner;
import org.timecoin.protocol.model.CommitCertificate;
import org.timecoin.protocol.rules.ValidatorSet;
import org.timecoin.protocol.wire.WireMessage;

/** Which part of a sync answer p2p hands to its stack when the answer crosses an epoch boundary (plain JUnit). */
class SyncAcrossEpochsTest {
    static final TestChain CHAIN = new TestChain(12);
    static final ValidatorSet SET = TestChain.GENESIS.validatorSet(); // the set of height 1: valid up to height 4

    static List<WireMessage.CertifiedBlock> withWeakSealFrom(long height) {
        List<WireMessage.CertifiedBlock> out = new ArrayList<>();
        for (WireMessage.CertifiedBlock cb : CHAIN.blocks) {
            CommitCertificate c = cb.certificate();
            // two seals of four: what a set that changed would look like from here (not a quorum of the set we know)
            out.add(cb.block().height() < height ? cb : new WireMessage.CertifiedBlock(cb.block(),
                    new CommitCertificate(c.chainId(), c.height(), c.round(), c.blockHash(), c.seals().subList(0, 2))));
        }
        return out;
    }

    @Test
    void anAnswerSealedByOneSetPassesWholeAcrossBoundaries() {
        assertThat(PeerNetwork.acceptedPrefix(CHAIN.blocks, new SyncPlanner.Request("p", 1, 12), SET, TestChain.CHAIN)).isEqualTo(12);
    }

    @Test
    void pastTheBoundaryABlockOurSetDoesNotSealStopsTheAnswerWithoutBlame() {
        // height 5 is a boundary: its set may differ from the one we know, so the peer is not at fault
        assertThat(PeerNetwork.acceptedPrefix(withWeakSealFrom(5), new SyncPlanner.Request("p", 1, 12), SET, TestChain.CHAIN)).isEqualTo(4);
        assertThat(PeerNetwork.acceptedPrefix(withWeakSealFrom(7), new SyncPlanner.Request("p", 1, 12), SET, TestChain.CHAIN)).isEqualTo(6);
    }

    @Test
    void beforeTheBoundaryTheSetCannotHaveChangedSoABadSealIsThePeers() {
        assertThat(PeerNetwork.acceptedPrefix(withWeakSealFrom(3), new SyncPlanner.Request("p", 1, 12), SET, TestChain.CHAIN)).isEqualTo(-1);
        assertThat(PeerNetwork.acceptedPrefix(withWeakSealFrom(1), new SyncPlanner.Request("p", 1, 12), SET, TestChain.CHAIN)).isEqualTo(-1);
    }
}
