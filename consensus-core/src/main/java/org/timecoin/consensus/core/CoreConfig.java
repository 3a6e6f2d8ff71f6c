package org.timecoin.consensus.core;

/**
 * Timing and memory bounds of the core. Round timeout of round r at a height = baseRoundTimeout × 2^min(s + r,
 * maxBackoffExponent), where s, the height's starting exponent, is carried over from the heights before it (see
 * {@link ConsensusCore}) and is at most {@link #maxStartExponent()}.
 */
public record CoreConfig(long blockIntervalMillis, long baseRoundTimeoutMillis, int maxBackoffExponent, long txLockTimeoutMillis,
                         int maxFutureHeights, int maxFutureRounds, int maxBufferedPerSender, long maxBufferedBytesPerSender,
                         int maxTrackedTransactions, int maxEvidence) {
    /** Default bound on the encoded bytes of one validator's messages held for later heights: two blocks' worth. */
    public static final long DEFAULT_BUFFERED_BYTES_PER_SENDER = 16L << 20;


    public static CoreConfig mainnet() {
        return new CoreConfig(600_000, 30_000, 6, 30_000, 2, 10, 64, DEFAULT_BUFFERED_BYTES_PER_SENDER, 200_000, 1_000);
    }

    public static CoreConfig devnet() {
        return new CoreConfig(2_000, 1_000, 6, 30_000, 2, 10, 64, DEFAULT_BUFFERED_BYTES_PER_SENDER, 200_000, 1_000);
    }

    /** The round timeout for backoff exponent {@code exponent} (a height's starting exponent plus its round). */
    public long roundTimeoutMillis(int exponent) {
        return baseRoundTimeoutMillis << Math.min(exponent, maxBackoffExponent);
    }

    /** How far a height's first round timeout may start above the base: half the backoff (8× with the default 6). */
    public int maxStartExponent() {
        return maxBackoffExponent / 2;
    }
}
