package org.timecoin.protocol.rules;

/** The one place where "more than 2/3 of the voting weight" is computed. Integer arithmetic only. */
public final class Quorum {
    private Quorum() {
    }

    /** weight > 2/3 · total, i.e. 3·weight > 2·total (and nothing is a quorum of an empty set). */
    public static boolean reached(long weight, long total) {
        if (weight < 0 || total < 0) throw new IllegalArgumentException("negative weight");
        return total > 0 && Math.multiplyExact(3L, weight) > Math.multiplyExact(2L, total);
    }

    /** The smallest weight that is a quorum of {@code total}. */
    public static long threshold(long total) {
        return Math.multiplyExact(2L, total) / 3 + 1;
    }

    /** Approval can no longer reach the quorum once this much weight has rejected (or is otherwise lost). */
    public static boolean impossible(long rejectedWeight, long total) {
        return !reached(total - rejectedWeight, total);
    }

    /** The most Byzantine weight the set tolerates: f with 3f < total. */
    public static long maxFaultyWeight(long total) {
        return (total - 1) / 3;
    }
}
