package org.timecoin.consensus.core;

/**
 * Timing and memory bounds of the core. Round timeout of round r at a height = baseRoundTimeout × 2^min(s + r,
 * maxBackoffExponent), where s, the height's starting exponent, is carried over from the heights before it (see
 * {@link ConsensusCore}) and is at most {@link #maxStartExponent()}.
 *
 * <p>The constants below are the one source of each default: the consensus service's settings name them, its profiles
 * and the k8s overlays override what differs (mainnet and testnet: block interval 600,000 ms, base round timeout 30,000).
 */
public record CoreConfig(long blockIntervalMillis, long baseRoundTimeoutMillis, int maxBackoffExponent, long txLockTimeoutMillis,
                         int maxFutureHeights, int maxFutureRounds, int maxBufferedPerSender, long maxBufferedBytesPerSender,
                         int maxTrackedTransactions, int maxEvidence) {
    /** Devnet: a block every 2 s. */
    public static final long BLOCK_INTERVAL_MILLIS = 2_000;
    /**
     * Covers a whole round under load: the proposal, the checks of every certificate in it, two vote phases over p2p and
     * Kafka (1 s was too short on a loaded 2-vCPU devnet: rounds timed out, and each round change makes the next
     * proposal bigger).
     */
    public static final long BASE_ROUND_TIMEOUT_MILLIS = 3_000;
    public static final int MAX_BACKOFF_EXPONENT = 6;
    public static final long TX_LOCK_TIMEOUT_MILLIS = 30_000;
    public static final int MAX_FUTURE_HEIGHTS = 2;
    public static final int MAX_FUTURE_ROUNDS = 10;
    public static final int MAX_BUFFERED_PER_SENDER = 64;
    /** Encoded bytes of one validator's messages held for later heights: two blocks' worth (a PrePrepare carries a block). */
    public static final long MAX_BUFFERED_BYTES_PER_SENDER = 16L << 20;
    public static final int MAX_TRACKED_TRANSACTIONS = 200_000;
    public static final int MAX_EVIDENCE = 1_000;

    /** Every bound and timing at its default. */
    public static CoreConfig defaults() {
        return new CoreConfig(BLOCK_INTERVAL_MILLIS, BASE_ROUND_TIMEOUT_MILLIS, MAX_BACKOFF_EXPONENT, TX_LOCK_TIMEOUT_MILLIS, MAX_FUTURE_HEIGHTS,
                MAX_FUTURE_ROUNDS, MAX_BUFFERED_PER_SENDER, MAX_BUFFERED_BYTES_PER_SENDER, MAX_TRACKED_TRANSACTIONS, MAX_EVIDENCE);
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
