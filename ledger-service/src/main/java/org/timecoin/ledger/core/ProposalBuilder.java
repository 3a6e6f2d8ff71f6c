package org.timecoin.ledger.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.Block;
import org.timecoin.protocol.model.BlockHeader;
import org.timecoin.protocol.model.FinalityCertificate;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.rules.RewardSplit;
import org.timecoin.protocol.rules.ValidatorSet;
import org.timecoin.protocol.stack.StackRecords;

/**
 * A leader's block proposal from final transactions (pure: no clock, no I/O — the caller reads the candidates and the
 * set, passes the time, and checks the result against the chain): the candidates that fit the byte budget, a reward
 * paying subsidy + their fees by reward weight, and their certificates; and the candidates again without one that the
 * chain refused, with what descends from it.
 */
public final class ProposalBuilder {
    private ProposalBuilder() {
    }

    /** A final transaction not yet in a block, with its fee and its finality certificate. */
    public record Candidate(Transaction tx, Amount fee, FinalityCertificate certificate) {
    }

    /** Room kept for the header, the reward transaction and the record's framing. */
    public static final int BLOCK_OVERHEAD_BYTES = 64 * 1024;

    /**
     * The longest prefix of the candidates whose transactions and certificates fit in {@code budgetBytes} (parents come
     * first, so a prefix never holds a child without its parent): a proposal must fit in one Kafka record and one p2p
     * frame, or the leader's round can never complete and every later leader's block only grows (seen under load:
     * blocks stopped at 1.6 MB against Kafka's 1 MB default).
     */
    public static List<Candidate> withinBudget(List<Candidate> candidates, long budgetBytes) {
        long used = 0;
        for (int i = 0; i < candidates.size(); i++) {
            Candidate c = candidates.get(i);
            used += c.tx().encodedSize() + c.certificate().toBytes().length;
            if (used > budgetBytes) return candidates.subList(0, i);
        }
        return candidates;
    }

    /**
     * The block of {@code candidates} (in their order) after the reward for {@code b}'s proposer, timestamped
     * {@code nowMillis} or just after its parent, whichever is later; with the candidates' certificates.
     */
    public static StackRecords.Built assemble(int chainId, StackRecords.BuildRequest b, List<Candidate> candidates, ValidatorSet set, long nowMillis) {
        Amount fees = Amount.ZERO;
        List<Transaction> txs = new ArrayList<>();
        List<FinalityCertificate> certificates = new ArrayList<>();
        for (Candidate c : candidates) fees = fees.plus(c.fee());
        txs.add(Transaction.reward(b.height(), RewardSplit.split(RewardSplit.blockReward(fees), set, b.proposer())));
        for (Candidate c : candidates) {
            txs.add(c.tx());
            certificates.add(c.certificate());
        }
        long timestamp = Math.max(nowMillis, b.previousTimestampMillis() + 1);
        Block block = new Block(new BlockHeader(chainId, b.height(), b.previousHash(), Block.merkleRoot(txs), timestamp, b.round(), b.proposer()), txs);
        return new StackRecords.Built(b.height(), b.round(), block, certificates);
    }

    /** {@code candidates} without {@code out} and whatever spends its outputs, parents still before children ({@link BlockOrder}). */
    public static List<Candidate> without(List<Candidate> candidates, Hash out) {
        return BlockOrder.arrange(candidates.stream().filter(c -> !c.tx().txid().equals(out)).toList(), Candidate::tx, Set.of(out));
    }
}
