package org.timecoin.protocol.rules;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.TxOutput;

/**
 * Block reward: {@link #BLOCK_SUBSIDY} plus the block's fees, split among all registered masternodes in proportion to
 * reward weight, each share rounded down; the remainder goes to the leader. One output per member with a non-zero
 * share, in node-key order.
 */
public final class RewardSplit {
    public static final Amount BLOCK_SUBSIDY = Amount.time(100);

    private RewardSplit() {
    }

    public static Amount blockReward(Amount fees) {
        return BLOCK_SUBSIDY.plus(fees);
    }

    public static List<TxOutput> split(Amount total, ValidatorSet set, PublicKey leader) {
        ValidatorSet.Member leaderMember = set.member(leader);
        if (leaderMember == null) throw new IllegalArgumentException("leader is not a registered masternode");
        BigInteger t = BigInteger.valueOf(total.sat());
        BigInteger w = BigInteger.valueOf(set.totalRewardWeight());
        long[] shares = new long[set.members().size()];
        long distributed = 0;
        int leaderIndex = -1;
        for (int i = 0; i < shares.length; i++) {
            ValidatorSet.Member m = set.members().get(i);
            shares[i] = t.multiply(BigInteger.valueOf(m.tier().rewardWeight())).divide(w).longValueExact();
            distributed += shares[i];
            if (m == leaderMember) leaderIndex = i;
        }
        shares[leaderIndex] += total.sat() - distributed;
        List<TxOutput> outputs = new ArrayList<>();
        for (int i = 0; i < shares.length; i++) {
            if (shares[i] > 0) outputs.add(new TxOutput(Amount.sat(shares[i]), set.members().get(i).rewardKeyHash()));
        }
        return outputs;
    }
}
