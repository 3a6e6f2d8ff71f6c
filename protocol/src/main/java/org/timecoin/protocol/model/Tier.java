package org.timecoin.protocol.model;

import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.codec.ProtocolException.Reason;

/** Masternode tiers: collateral, reward weight, voting weight (DESIGN.md §1). Free nodes relay and earn, never vote. */
public enum Tier {
    FREE(0, Amount.ZERO, 100, 0),
    BRONZE(1, Amount.time(1_000), 1_000, 1),
    SILVER(2, Amount.time(10_000), 10_000, 10),
    GOLD(3, Amount.time(100_000), 100_000, 100);

    private final int code;
    private final Amount collateral;
    private final long rewardWeight;
    private final long votingWeight;

    Tier(int code, Amount collateral, long rewardWeight, long votingWeight) {
        this.code = code;
        this.collateral = collateral;
        this.rewardWeight = rewardWeight;
        this.votingWeight = votingWeight;
    }

    public int code() {
        return code;
    }

    public Amount collateral() {
        return collateral;
    }

    public long rewardWeight() {
        return rewardWeight;
    }

    public long votingWeight() {
        return votingWeight;
    }

    public static Tier byCode(int code) {
        for (Tier t : values()) {
            if (t.code == code) return t;
        }
        throw new ProtocolException(Reason.UNKNOWN_TYPE, "unknown tier " + code);
    }
}
