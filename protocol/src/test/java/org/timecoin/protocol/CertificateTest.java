package org.timecoin.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.timecoin.protocol.model.CommitCertificate;
import org.timecoin.protocol.model.FinalityCertificate;
import org.timecoin.protocol.model.FinalityCertificate.Failure;
import org.timecoin.protocol.model.TxVerdict;
import org.timecoin.protocol.model.TxVoteBatch;
import org.timecoin.protocol.model.VoteEntry;
import org.timecoin.protocol.rules.ValidatorSet;

class CertificateTest {
    private final ValidatorSet set = Fixtures.GENESIS.validatorSet();
    private final FinalityCertificate cert = Fixtures.finalityCertificate();

    @Test
    void finalityCertificateNeedsMoreThanTwoThirdsOfDistinctKnownVoters() {
        assertThat(cert.verify(Fixtures.CHAIN, set)).isEmpty();
        var two = new FinalityCertificate(cert.chainId(), cert.txid(), 1, cert.approvals().subList(0, 2));
        assertThat(two.verify(Fixtures.CHAIN, set)).contains(Failure.NO_QUORUM);
        List<FinalityCertificate.VoteProof> dup = new ArrayList<>(two.approvals());
        dup.add(two.approvals().get(0));
        assertThat(new FinalityCertificate(cert.chainId(), cert.txid(), 1, dup).verify(Fixtures.CHAIN, set)).contains(Failure.DUPLICATE_VOTER);
        assertThat(cert.verify(Fixtures.CHAIN + 1, set)).contains(Failure.WRONG_CHAIN);
        assertThat(cert.verify(Fixtures.CHAIN, set.atHeight(9))).as("same membership, later height").isEmpty();
        assertThat(cert.verify(Fixtures.CHAIN, new ValidatorSet(9, 9, set.members()))).contains(Failure.WRONG_VALIDATOR_SET);
    }

    @Test
    void aRejectVoteCannotBeReusedAsAnApproval() {
        // entry 1 of the batch is a REJECT of "other": its proof must not certify an approval of that txid
        TxVoteBatch b = Fixtures.voteBatch(0);
        VoteEntry rejected = b.entries().get(1);
        assertThat(rejected.verdict()).isEqualTo(TxVerdict.REJECT);
        List<FinalityCertificate.VoteProof> proofs = List.of(Fixtures.voteBatch(0).proofFor(1), Fixtures.voteBatch(1).proofFor(1),
                Fixtures.voteBatch(2).proofFor(1));
        assertThat(new FinalityCertificate(Fixtures.CHAIN, rejected.txid(), 1, proofs).verify(Fixtures.CHAIN, set)).contains(Failure.BAD_SIGNATURE);
    }

    @Test
    void anOutsiderCannotVote() {
        var outsider = Fixtures.key("outsider", 0);
        TxVoteBatch b = TxVoteBatch.sign(Fixtures.CHAIN, 1, outsider, List.of(new VoteEntry(cert.txid(), TxVerdict.APPROVE)));
        List<FinalityCertificate.VoteProof> proofs = new ArrayList<>(cert.approvals().subList(0, 2));
        proofs.add(b.proofFor(0));
        assertThat(new FinalityCertificate(Fixtures.CHAIN, cert.txid(), 1, proofs).verify(Fixtures.CHAIN, set)).contains(Failure.UNKNOWN_VOTER);
    }

    @Test
    void commitCertificateChecksBlockSignersAndQuorum() {
        CommitCertificate cc = Fixtures.commitCertificate();
        var block = Fixtures.block1();
        assertThat(cc.verify(Fixtures.CHAIN, block, set)).isEmpty();
        assertThat(new CommitCertificate(cc.chainId(), 1, 0, cc.blockHash(), cc.seals().subList(0, 2)).verify(Fixtures.CHAIN, block, set)).contains(CommitCertificate.Failure.NO_QUORUM);
        assertThat(new CommitCertificate(cc.chainId(), 1, 1, cc.blockHash(), cc.seals()).verify(Fixtures.CHAIN, block, set)).contains(CommitCertificate.Failure.BAD_SIGNATURE);
        assertThat(cc.verify(Fixtures.CHAIN, Fixtures.GENESIS.block(), set)).contains(CommitCertificate.Failure.WRONG_BLOCK);
    }
}
