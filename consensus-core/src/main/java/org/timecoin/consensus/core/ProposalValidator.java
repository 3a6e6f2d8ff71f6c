package org.timecoin.consensus.core;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.model.BlockHeader;
import org.timecoin.protocol.model.ConsensusMessage.PrePrepare;
import org.timecoin.protocol.model.ConsensusMessage.Prepare;
import org.timecoin.protocol.model.ConsensusMessage.Prepared;
import org.timecoin.protocol.model.ConsensusMessage.RoundChange;
import org.timecoin.protocol.model.SignedConsensusMessage;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.rules.ValidatorSet;

/**
 * What a proposal and a round change must be at one height, checked without the ledger: a block that extends this
 * height's parent, proposed by its round's rules, and — for a later round — justified by a quorum of RoundChanges whose
 * highest prepared block it carries. Signatures are verified before (by {@link MessageVerifier}); the transactions'
 * validity is the ledger's check ({@link Action.CheckProposal}).
 */
record ProposalValidator(int chainId, long height, Hash previousHash, long previousTimestampMillis, ValidatorSet set) {

    /** The block's header and shape fit this height: one reward first, one finality certificate per other transaction. */
    boolean structurallyValid(PrePrepare p) {
        BlockHeader h = p.block().header();
        List<Transaction> txs = p.block().transactions();
        return h.chainId() == chainId && h.height() == height && h.previousHash().equals(previousHash) && h.round() <= p.round()
                && h.timestampMillis() > previousTimestampMillis && set.isVoter(h.proposer()) && !txs.isEmpty() && txs.get(0).isReward()
                && p.certificates().size() == txs.size() - 1 && p.block().merkleRootMatches();
    }

    /** Round 0 needs no justification; a later round needs a quorum of RoundChanges and must carry the highest prepared block. */
    boolean justified(PrePrepare p) {
        if (p.round() == 0) return p.justification().isEmpty();
        Set<PublicKey> signers = new HashSet<>();
        long weight = 0;
        for (SignedConsensusMessage j : p.justification()) {
            if (!(j.message() instanceof RoundChange rc) || rc.height() != height || rc.round() != p.round() || rc.chainId() != chainId) return false;
            if (!validPrepared(rc) || !signers.add(rc.signer())) return false;
            weight += set.votingWeight(rc.signer());
        }
        if (!set.isQuorum(weight)) return false;
        Prepared highest = highestPrepared(p.justification());
        return highest == null || highest.blockHash().equals(p.block().hash());
    }

    /** A RoundChange's prepared certificate: a quorum of distinct Prepares for (height, prepared round, hash). */
    boolean validPrepared(RoundChange rc) {
        Prepared pr = rc.prepared();
        if (pr == null) return true;
        if (pr.round() >= rc.round()) return false;
        Set<PublicKey> signers = new HashSet<>();
        long weight = 0;
        for (SignedConsensusMessage s : pr.prepares()) {
            if (!(s.message() instanceof Prepare p) || p.height() != height || p.round() != pr.round() || !p.blockHash().equals(pr.blockHash())
                    || p.chainId() != chainId || !signers.add(p.signer())) return false;
            weight += set.votingWeight(p.signer());
        }
        return set.isQuorum(weight);
    }

    /** The prepared block of the highest round among these RoundChanges (null: none prepared). */
    static Prepared highestPrepared(List<SignedConsensusMessage> roundChanges) {
        Prepared best = null;
        for (SignedConsensusMessage j : roundChanges) {
            Prepared pr = ((RoundChange) j.message()).prepared();
            if (pr != null && (best == null || pr.round() > best.round())) best = pr;
        }
        return best;
    }
}
