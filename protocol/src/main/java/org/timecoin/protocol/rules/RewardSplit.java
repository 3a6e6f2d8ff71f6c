package org.timecoin.protocol.rules;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.Tier;
import org.timecoin.protocol.model.TxOutput;

/**
 * Block reward: {@link #BLOCK_SUBSIDY} plus the block's fees, split among the masternodes of the block's height in
 * two pools, so that neither a block's size nor the collateralized tiers' share depends on how many Free nodes
 * register (Free registrations cost only a fee). The Free pool is the Free members' share of the reward weight, at most
 * {@link #FREE_SHARE_PERCENT}%; the collateralized pool is the rest. A pool pays at most its cap of members per block:
 * with more, a window of that many consecutive members (node-key order, wrapping) starting at (height × cap) mod n is
 * paid, so everyone is paid in turn. Within a pool shares follow reward weight, rounded down; the remainders go to the
 * leader. One output per non-zero share: collateralized pool first, each in node-key order.
 */
public final class RewardSplit {
    public static final Amount BLOCK_SUBSIDY = Amount.time(100);
    public static final int MAX_PAID_COLLATERALIZED = 90;
    public static final int MAX_PAID_FREE = 10;
    /** At most this many reward outputs, whatever the number of masternodes. */
    public static final int MAX_REWARD_OUTPUTS = MAX_PAID_COLLATERALIZED + MAX_PAID_FREE;
    public static final int FREE_SHARE_PERCENT = 10;

    private RewardSplit() {
    }

    public static Amount blockReward(Amount fees) {
        return BLOCK_SUBSIDY.plus(fees);
    }

    /** The reward outputs of the block at {@code set.height()}. */
    public static List<TxOutput> split(Amount total, ValidatorSet set, PublicKey leader) {
        if (set.member(leader) == null) throw new IllegalArgumentException("leader is not a registered masternode");
        List<ValidatorSet.Member> collateralized = new ArrayList<>();
        List<ValidatorSet.Member> free = new ArrayList<>();
        for (ValidatorSet.Member m : set.members()) (m.tier() == Tier.FREE ? free : collateralized).add(m);
        long freeWeight = free.size() * Tier.FREE.rewardWeight();
        BigInteger t = BigInteger.valueOf(total.sat());
        // the Free pool: their weight share, capped
        long freePool = collateralized.isEmpty() ? total.sat() : Math.min(
                t.multiply(BigInteger.valueOf(freeWeight)).divide(BigInteger.valueOf(set.totalRewardWeight())).longValueExact(),
                t.multiply(BigInteger.valueOf(FREE_SHARE_PERCENT)).divide(BigInteger.valueOf(100)).longValueExact());
        long collateralizedPool = total.sat() - freePool;
        List<Long> paid = new ArrayList<>(); // what each payee gets, in order
        List<ValidatorSet.Member> payees = new ArrayList<>();
        long distributed = pay(collateralized, collateralizedPool, MAX_PAID_COLLATERALIZED, set.height(), payees, paid)
                + pay(free, freePool, MAX_PAID_FREE, set.height(), payees, paid);
        long remainder = total.sat() - distributed;
        List<TxOutput> outputs = new ArrayList<>();
        boolean leaderPaid = false;
        for (int i = 0; i < payees.size(); i++) {
            long amount = paid.get(i);
            if (payees.get(i).nodeKey().equals(leader)) {
                amount += remainder;
                leaderPaid = true;
            }
            if (amount > 0) outputs.add(new TxOutput(Amount.sat(amount), payees.get(i).rewardKeyHash()));
        }
        // a leader outside this block's window gets its remainder as an output of its own, after the pools
        if (!leaderPaid && remainder > 0) outputs.add(new TxOutput(Amount.sat(remainder), set.member(leader).rewardKeyHash()));
        return outputs;
    }

    /** Shares {@code pool} over the window of {@code members} this height pays; returns what it distributed. */
    private static long pay(List<ValidatorSet.Member> members, long pool, int cap, long height, List<ValidatorSet.Member> payees, List<Long> paid) {
        if (members.isEmpty() || pool == 0) return 0;
        List<ValidatorSet.Member> window = new ArrayList<>();
        if (members.size() <= cap) {
            window.addAll(members);
        } else {
            long n = members.size();
            int start = (int) ((height % n) * cap % n);
            List<ValidatorSet.Member> picked = new ArrayList<>();
            for (int i = 0; i < cap; i++) picked.add(members.get((start + i) % members.size()));
            picked.sort(java.util.Comparator.comparing(ValidatorSet.Member::nodeKey));
            window.addAll(picked);
        }
        long weight = 0;
        for (ValidatorSet.Member m : window) weight += m.tier().rewardWeight();
        BigInteger p = BigInteger.valueOf(pool);
        long distributed = 0;
        for (ValidatorSet.Member m : window) {
            long share = p.multiply(BigInteger.valueOf(m.tier().rewardWeight())).divide(BigInteger.valueOf(weight)).longValueExact();
            payees.add(m);
            paid.add(share);
            distributed += share;
        }
        return distributed;
    }
}
