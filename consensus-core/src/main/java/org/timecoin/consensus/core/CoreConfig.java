package org.timecoin.consensus.core;

/**
 * Timing and memory bounds of the core. Round timeout of round r = baseRoundTimeout × 2^min(r, maxBackoffExponent).
 */
public record CoreConfig(long blockIntervalMillis, long baseRoundTimeoutMillis, int maxBackoffExponent, long txLockTimeoutMillis,
                         int maxFutureHeights, int maxFutureRounds, int maxBufferedPerSender, int maxTrackedTransactions,
                         int maxEvidence) {

    public static CoreConfig mainnet() {
        return new CoreConfig(600_000, 30_000, 6, 30_000, 2, 10, 64, 200_000, 1_000);
    }

    public static CoreConfig devnet() {
        return new CoreConfig(2_000, 1_000, 6, 30_000, 2, 10, 64, 200_000, 1_000);
    }

    public long roundTimeoutMillis(int round) {
        return baseRoundTimeoutMillis << Math.min(round, maxBackoffExponent);
    }
}
