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
 * The registered masternodes that validate block {@code height} (registrations in blocks up to height−1), ordered
 * by node key. Voting members are those with voting weight (not Free); every member shares rewards.
 * {@code epoch} is the first height at which exactly this membership was in force: transaction votes and finality
 * certificates name the epoch, so validators a block apart (the normal case at a block boundary) vote against the
 * same set, and a certificate stays checkable for as long as the membership lasts.
 */
public final class ValidatorSet {

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
    // The consensus core asks for the leader on most messages of a height: keep the last order computed.
    private volatile LeaderOrder lastOrder;

    private record LeaderOrder(Hash previousBlockHash, List<Member> order) {
    }

    public ValidatorSet(long height, Collection<Member> members) {
        this(height, height, members);
    }

    public ValidatorSet(long height, long epoch, Collection<Member> members) {
        if (epoch > height) throw new IllegalArgumentException("epoch after height");
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

    /** The same membership for a later height (the set changes only when a block registers or deregisters a node). */
    public ValidatorSet atHeight(long newHeight) {
        return new ValidatorSet(newHeight, epoch, members);
    }

    /**
     * True when applying {@code block} cannot change this membership: it carries no registration and spends no
     * member's collateral — the only two things that add or remove a masternode. The set for the next height is then
     * {@code atHeight(block.height() + 1)}, known without the UTXO set (what lets a catching-up node run ahead of its
     * ledger). False does not mean the set changes (a registration may be a duplicate), only that the ledger decides.
     */
    public boolean unchangedBy(Block block) {
        for (Transaction tx : block.transactions()) {
            if (tx.payload() instanceof MasternodeRegistration) return false;
            for (TxInput in : tx.inputs()) if (collaterals.contains(in.previous())) return false;
        }
        return true;
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
