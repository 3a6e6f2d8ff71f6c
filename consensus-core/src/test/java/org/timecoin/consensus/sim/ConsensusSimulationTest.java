package org.timecoin.consensus.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The main test of the consensus core: many seeded runs of the simulated network per configuration, each checking
 * safety throughout and liveness after the network heals. {@code -Dsim.seeds=K} multiplies the number of seeds
 * (the {@code soak} profile runs 10×). A failure prints the seed and the command that replays it.
 */
class ConsensusSimulationTest {
    private static final int MULTIPLIER = Integer.getInteger("sim.seeds", 1);

    private static SimConfig byName(String name) {
        for (SimConfig c : configs()) if (c.name().equals(name)) return c;
        for (SimConfig c : List.of(SimConfig.leaderCrashOnly(4), SimConfig.leaderCrashOnly(7), SimConfig.withSetChanges())) if (c.name().equals(name)) return c;
        throw new IllegalArgumentException("unknown config " + name);
    }

    static List<SimConfig> configs() {
        return List.of(SimConfig.equal(4, 1), SimConfig.equal(7, 2), SimConfig.equal(10, 3), SimConfig.unequal(4), SimConfig.unequal(7),
                SimConfig.unequal(10));
    }

    private static void runMany(SimConfig config, int seeds) {
        List<String> failures = new ArrayList<>();
        List<Long> latencies = new ArrayList<>();
        long blocks = 0;
        List<Long> viewChanges = new ArrayList<>();
        List<Long> spreads = new ArrayList<>();
        List<Long> blockTimes = new ArrayList<>();
        for (long seed = 1; seed <= (long) seeds * MULTIPLIER; seed++) {
            Simulation sim = new Simulation(seed * 7919 + config.name().hashCode(), config);
            sim.run();
            if (!sim.violations.isEmpty()) {
                failures.add(sim.describe() + "\n    " + String.join("\n    ", sim.violations.subList(0, Math.min(5, sim.violations.size())))
                        + "\n    " + sim.replay());
            }
            latencies.addAll(sim.txFinalityLatencies);
            blocks += sim.finalHeight();
            if (sim.leaderCrashedAt >= 0 && sim.firstBlockAfterCrash >= 0) viewChanges.add(sim.firstBlockAfterCrash - sim.leaderCrashedAt);
            spreads.addAll(sim.blockSpread.values());
            for (var e : sim.blockFinalizedAt.entrySet()) {
                Long previous = sim.blockFinalizedAt.get(e.getKey() - 1);
                if (previous != null && e.getKey() > 1) blockTimes.add(e.getValue() - previous);
            }
        }
        Collections.sort(latencies);
        Collections.sort(viewChanges);
        Collections.sort(spreads);
        Collections.sort(blockTimes);
        System.out.printf("simulation %s: %d seeds, %d blocks; virtual time: tx finality p50 %d ms p99 %d ms; block time p50 %d ms p99 %d ms; "
                        + "block reaches all honest nodes p50 %d ms p99 %d ms; leader crash -> next block p50 %d ms max %d ms%n", config.name(),
                seeds * MULTIPLIER, blocks, pct(latencies, 50), pct(latencies, 99), pct(blockTimes, 50), pct(blockTimes, 99), pct(spreads, 50),
                pct(spreads, 99), pct(viewChanges, 50), viewChanges.isEmpty() ? -1 : viewChanges.get(viewChanges.size() - 1));
        assertThat(failures).as("failing seeds").isEmpty();
    }

    static long pct(List<Long> sorted, int p) {
        if (sorted.isEmpty()) return -1;
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    /**
     * The view-change measurement: a good network where the current leader crashes (kill -9 style, restarting 2–5 s
     * later). Prints crash → next finalized block; safety and liveness are checked as in every run.
     */
    /** The validator set changes every 8 blocks (a member joins, later leaves) while transactions and double spends flow. */
    @Test
    void setChangesWithTransactionsInFlight() {
        runMany(SimConfig.withSetChanges(), 10);
    }

    @Test
    void viewChangeAfterLeaderCrash() {
        runMany(SimConfig.leaderCrashOnly(4), 40);
        runMany(SimConfig.leaderCrashOnly(7), 20);
    }

    @Test
    void fourValidatorsOneFaulty() {
        runMany(SimConfig.equal(4, 1), 60);
    }

    @Test
    void sevenValidatorsTwoFaulty() {
        runMany(SimConfig.equal(7, 2), 30);
    }

    @Test
    void tenValidatorsThreeFaulty() {
        runMany(SimConfig.equal(10, 3), 15);
    }

    @Test
    void unequalWeights() {
        runMany(SimConfig.unequal(4), 30);
        runMany(SimConfig.unequal(7), 20);
        runMany(SimConfig.unequal(10), 10);
    }

    /** Replays one run: -Dsim.config=n4f1 -Dsim.seed=123 (printed by a failure). */
    @Test
    void replay() {
        String name = System.getProperty("sim.config");
        String seed = System.getProperty("sim.seed");
        Assumptions.assumeTrue(name != null && seed != null, "set -Dsim.config and -Dsim.seed to replay a run");
        Simulation sim = new Simulation(Long.parseLong(seed), byName(name));
        sim.run();
        System.out.println(sim.describe() + " final height " + sim.finalHeight() + "\n" + sim.summary());
        assertThat(sim.violations).isEmpty();
    }
}
