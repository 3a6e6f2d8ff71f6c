package org.timecoin.consensus.sim;

import java.util.List;

import org.timecoin.protocol.model.Tier;

/** One simulated network: validators (tiers), which of them are Byzantine and how, and the faults of the run. */
record SimConfig(String name, List<Tier> tiers, int byzantineCount, boolean crashLeader, boolean partition, double dropRate,
                 long durationMillis, long healAtMillis, int alternatingMember) {

    SimConfig(String name, List<Tier> tiers, int byzantineCount, boolean crashLeader, boolean partition, double dropRate, long durationMillis,
              long healAtMillis) {
        this(name, tiers, byzantineCount, crashLeader, partition, dropRate, durationMillis, healAtMillis, -1);
    }

    /**
     * Set changes with transactions in flight: 5 Bronze validators, one Byzantine; the last one is in the set only for
     * two epochs of every four (it joins, stays, leaves, stays out), so joint and settled epochs alternate.
     */
    static SimConfig withSetChanges() {
        return new SimConfig("n5-set-changes", java.util.Collections.nCopies(5, Tier.BRONZE), 1, false, true, 0.02, 45_000, 20_000, 4);
    }

    static SimConfig equal(int n, int f) {
        return new SimConfig("n" + n + "f" + f, java.util.Collections.nCopies(n, Tier.BRONZE), f, true, true, 0.02, 45_000, 20_000);
    }

    /** Only a leader crash on a good network (no Byzantine validator, no drops, no partition): the view-change measurement. */
    static SimConfig leaderCrashOnly(int n) {
        return new SimConfig("n" + n + "-leader-crash", java.util.Collections.nCopies(n, Tier.BRONZE), 0, true, false, 0.0, 30_000, 1_000);
    }

    /** Unequal weights: a third Silver (10), the rest Bronze (1); Byzantine weight stays below a third. */
    static SimConfig unequal(int n) {
        List<Tier> tiers = new java.util.ArrayList<>();
        int silver = n / 3;
        for (int i = 0; i < n; i++) tiers.add(i < silver ? Tier.SILVER : Tier.BRONZE);
        return new SimConfig("n" + n + "-unequal", tiers, -1, true, true, 0.02, 45_000, 20_000);
    }
}
