package org.timecoin.protocol.rules;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.timecoin.protocol.codec.Writer;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.HashTag;
import org.timecoin.protocol.crypto.Hashes;
import org.timecoin.protocol.crypto.KeyHash;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.model.Block;
import org.timecoin.protocol.model.MasternodeRegistration;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxInput;
import org.timecoin.protocol.model.Tier;

/**
 * The masternodes that validate block {@code height}, ordered by node key. Voting members are those with voting
 * weight (not Free); every member shares rewards.
 * <p>The set changes only at <b>epoch boundaries</b>, the heights h with (h − 1) mod {@link #EPOCH_BLOCKS} = 0: what a
 * block registers or deregisters takes effect at the first boundary after it. {@code epoch} names the membership
 * transaction votes and finality certificates count against; it is the boundary height at which the epoch began. An
 * epoch that began with a change is <b>joint</b> with the set before it ({@link #jointWith}): its certificates need a
 * quorum of both, so any certificate of it and any of the epoch before share an honest voter. At the next boundary
 * without a change a settled epoch (same members, no joint condition) begins. So every epoch lasts at least
 * {@link #EPOCH_BLOCKS} blocks, and a node knows the set of every height that is not a boundary without the UTXO set.
 */
public final class ValidatorSet {
    /** Blocks per epoch: the set can change only every this many blocks (docs/PROTOCOL.md, "Validator set and epochs"). */
    public static final int EPOCH_BLOCKS = 4;

    /** Heights at which the set may change: 1, 1 + EPOCH_BLOCKS, 1 + 2·EPOCH_BLOCKS, … */
    public static boolean isBoundary(long height) {
        return height >= 1 && (height - 1) % EPOCH_BLOCKS == 0;
    }

    /** The first boundary at or after {@code height}: when a change recorded by block height−1 takes effect. */
    public static long nextBoundary(long height) {
        if (height <= 1) return 1;
        long r = (height - 1) % EPOCH_BLOCKS;
        return r == 0 ? height : height + (EPOCH_BLOCKS - r);
    }


    /** {@code collateral} is {@link OutPoint#NULL} for a Free node; spending it deregisters the node. */
    public record Member(PublicKey nodeKey, Tier tier, KeyHash rewardKeyHash, OutPoint collateral) {
    }

    private final long height;
    private final long epoch;
    private final List<Member> members;
    private final List<Member> voters;
    private final Map<PublicKey, Member> byKey;
    private final Set<OutPoint> collaterals = new HashSet<>();
    private final long totalVotingWeight;
    private final long totalRewardWeight;
    private final ValidatorSet jointWith; // the set before a change, during the joint epoch; null when settled
    // The consensus core asks for the leader on most messages of a height: keep the last order computed.
    private volatile LeaderOrder lastOrder;

    private record LeaderOrder(Hash previousBlockHash, List<Member> order) {
    }

    public ValidatorSet(long height, Collection<Member> members) {
        this(height, height, members);
    }

    public ValidatorSet(long height, long epoch, Collection<Member> members) {
        this(height, epoch, members, null);
    }

    /** {@code jointWith}: the members before the change that began this epoch (null for a settled epoch). */
    public ValidatorSet(long height, long epoch, Collection<Member> members, Collection<Member> jointWith) {
        if (epoch > height) throw new IllegalArgumentException("epoch after height");
        this.jointWith = jointWith == null ? null : new ValidatorSet(height, epoch, jointWith, null);
        this.height = height;
        this.epoch = epoch;
        List<Member> sorted = new ArrayList<>(members);
        sorted.sort(Comparator.comparing(Member::nodeKey));
        this.members = List.copyOf(sorted);
        this.byKey = new HashMap<>();
        for (Member m : sorted) {
            if (byKey.put(m.nodeKey(), m) != null) throw new IllegalArgumentException("node key registered twice: " + m.nodeKey());
            if (!m.collateral().equals(OutPoint.NULL)) collaterals.add(m.collateral());
        }
        this.voters = sorted.stream().filter(m -> m.tier().votingWeight() > 0).toList();
        this.totalVotingWeight = voters.stream().mapToLong(m -> m.tier().votingWeight()).sum();
        this.totalRewardWeight = sorted.stream().mapToLong(m -> m.tier().rewardWeight()).sum();
    }

    public static ValidatorSet fromRegistrations(long height, Collection<MasternodeRegistration> registrations) {
        return new ValidatorSet(height, registrations.stream()
                .map(r -> new Member(r.nodeKey(), r.tier(), r.rewardKeyHash(), r.collateral())).toList());
    }

    public long height() {
        return height;
    }

    /** The first height of this membership (what votes and finality certificates name). */
    public long epoch() {
        return epoch;
    }

    public List<Member> members() {
        return members;
    }

    public List<Member> voters() {
        return voters;
    }

    public long totalVotingWeight() {
        return totalVotingWeight;
    }

    public long totalRewardWeight() {
        return totalRewardWeight;
    }

    /** 0 for keys that are not voting members. */
    public long votingWeight(PublicKey key) {
        Member m = byKey.get(key);
        return m == null ? 0 : m.tier().votingWeight();
    }

    public boolean isVoter(PublicKey key) {
        return votingWeight(key) > 0;
    }

    public Member member(PublicKey key) {
        return byKey.get(key);
    }

    public boolean isQuorum(long weight) {
        return Quorum.reached(weight, totalVotingWeight);
    }

    /** The set before the change that began this epoch, while it is joint; null when settled. */
    public ValidatorSet jointWith() {
        return jointWith;
    }

    /** May sign transaction votes naming this epoch: a voter of this set, or of the set it is joint with (a member that left). */
    public boolean mayVoteOnTransactions(PublicKey key) {
        return isVoter(key) || jointWith != null && jointWith.isVoter(key);
    }

    /**
     * Whether approvals by {@code voters} (distinct keys) finalize a transaction under this epoch: a quorum of this set
     * and, while joint, a quorum of the set before the change too.
     */
    public boolean certifies(Collection<PublicKey> voters) {
        return isQuorum(weightOf(voters)) && (jointWith == null || jointWith.isQuorum(jointWith.weightOf(voters)));
    }

    /** The voting weight in this set of distinct {@code keys}. */
    private long weightOf(Collection<PublicKey> keys) {
        long weight = 0;
        for (PublicKey k : keys) weight += votingWeight(k);
        return weight;
    }

    /**
     * Whether no approvals can certify once {@code rejecters} (distinct keys) rejected, of this set or of the joint one,
     * even if as many of them as the set tolerates to be faulty lied (a Byzantine voter may reject here and approve to
     * the one assembling a certificate): only then may the locks go.
     */
    public boolean cannotCertifyWithout(Collection<PublicKey> rejecters) {
        return impossibleDespiteLiars(weightOf(rejecters), totalVotingWeight)
                || jointWith != null && impossibleDespiteLiars(jointWith.weightOf(rejecters), jointWith.totalVotingWeight);
    }

    private static boolean impossibleDespiteLiars(long rejected, long total) {
        return Quorum.impossible(Math.max(0, rejected - Quorum.maxFaultyWeight(total)), total);
    }

    /** The same membership for a later height of the same epoch. */
    public ValidatorSet atHeight(long newHeight) {
        return new ValidatorSet(newHeight, epoch, members, jointWith == null ? null : jointWith.members);
    }

    /**
     * True when the set after {@code block} is this one: the next height is not an epoch boundary. The set for the next
     * height is then {@code atHeight(block.height() + 1)}, known without the UTXO set (what lets a catching-up node run
     * ahead of its ledger). At a boundary the ledger decides.
     */
    public boolean unchangedBy(Block block) {
        return !isBoundary(block.height() + 1);
    }

    /**
     * Leader of (height, round): the voters in a weight-proportional order drawn without replacement from hashes
     * seeded by the previous block hash and the height; round r takes entry r mod n. Consecutive rounds therefore
     * always have different leaders when there are two or more voters. Integer arithmetic only, so every
     * implementation computes the same order.
     */
    public PublicKey leader(Hash previousBlockHash, int round) {
        List<Member> order = leaderOrder(previousBlockHash);
        return order.get(Math.floorMod(round, order.size())).nodeKey();
    }

    public List<Member> leaderOrder(Hash previousBlockHash) {
        LeaderOrder cached = lastOrder;
        if (cached != null && cached.previousBlockHash().equals(previousBlockHash)) return cached.order();
        List<Member> order = computeLeaderOrder(previousBlockHash);
        lastOrder = new LeaderOrder(previousBlockHash, order);
        return order;
    }

    private List<Member> computeLeaderOrder(Hash previousBlockHash) {
        if (voters.isEmpty()) throw new IllegalStateException("validator set has no voting members");
        Writer seedWriter = new Writer(40);
        previousBlockHash.write(seedWriter);
        seedWriter.u64(height);
        byte[] seed = seedWriter.toByteArray();
        List<Member> remaining = new ArrayList<>(voters);
        long remainingWeight = totalVotingWeight;
        List<Member> order = new ArrayList<>(voters.size());
        for (int draw = 0; !remaining.isEmpty(); draw++) {
            byte[] h = Hashes.tagged(HashTag.LEADER, seed, new byte[] {(byte) (draw >>> 24), (byte) (draw >>> 16), (byte) (draw >>> 8), (byte) draw})
                    .toByteArray();
            long x = 0;
            for (int i = 0; i < 8; i++) x = (x << 8) | (h[i] & 0xFF);
            long target = Long.remainderUnsigned(x, remainingWeight);
            int pick = 0;
            for (long acc = remaining.get(0).tier().votingWeight(); acc <= target; acc += remaining.get(pick).tier().votingWeight()) {
                pick++;
            }
            Member chosen = remaining.remove(pick);
            remainingWeight -= chosen.tier().votingWeight();
            order.add(chosen);
        }
        return List.copyOf(order);
    }
}
