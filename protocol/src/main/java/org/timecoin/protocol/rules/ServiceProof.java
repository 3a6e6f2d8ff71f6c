package org.timecoin.protocol.rules;

/**
 * Proof of service: a masternode stays in the set only while it shows it runs. Its node key signs a recent block of
 * the chain (a {@link org.timecoin.protocol.model.MasternodeActivation}) to enter the set, and again at least every
 * {@link #INTERVAL_BLOCKS} to stay; a block holds each proof. A member whose latest proof names a block more than
 * {@link #EXPIRY_BLOCKS} below an epoch boundary leaves the set there (until it activates again), so a masternode that
 * stopped cannot keep counting toward every quorum. Why proofs on chain rather than attendance in commit certificates:
 * every node reads the same proofs from the same blocks (a leader picks which seals a certificate holds), a proof is
 * final by the votes of the whole set (no single leader can leave it out), and a Free node, which signs no commits,
 * proves service the same way (docs/PROTOCOL.md, "Proof of service").
 */
public final class ServiceProof {
    /** A running node proves again every this many blocks. */
    public static final int INTERVAL_BLOCKS = 16;
    /** A member's proof renews its membership only if it names a block at least this far above its latest proof (no spam: proofs pay no fee). */
    public static final int MIN_GAP_BLOCKS = 8;
    /** A member whose latest proof is older than this at an epoch boundary leaves the set there: two proofs missed. */
    public static final int EXPIRY_BLOCKS = 3 * INTERVAL_BLOCKS;

    private ServiceProof() {
    }

    /** Whether a proof naming block {@code height} renews a member whose latest proof named {@code provenHeight}. */
    public static boolean renews(long provenHeight, long height) {
        return height >= provenHeight + MIN_GAP_BLOCKS;
    }

    /** Whether a member whose latest proof named {@code provenHeight} is out of the set from epoch boundary {@code boundary}. */
    public static boolean expiredAt(long provenHeight, long boundary) {
        return boundary - provenHeight > EXPIRY_BLOCKS;
    }

    /**
     * Whether the voters found expired at a boundary leave, {@code expiredWeight} of the {@code totalWeight} in force
     * there. They leave together only if their weight is one the set tolerates to be faulty: the chain reached this
     * boundary, so more than 2/3 of the weight signed its blocks; if more than that seems expired, nodes that vote are
     * failing to prove (a fault of the proofs, not absence), and removing them could empty the set; taking the stalest
     * f at each boundary instead would drain a set whose proofs all fail down to its last three voters. Byzantine voters
     * that stop proving on purpose can keep absent ones in only when together they weigh more than f, when withholding
     * their votes halts the chain anyway. Free members, which weigh nothing in a quorum, always leave when expired.
     */
    public static boolean expiredVotersLeave(long expiredWeight, long totalWeight) {
        return expiredWeight <= Quorum.maxFaultyWeight(totalWeight);
    }
}
