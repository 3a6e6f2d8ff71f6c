package org.timecoin.consensus;

import org.timecoin.consensus.core.CoreConfig;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Consensus timing and bounds; each default is {@link CoreConfig}'s constant of the same name (the one source). */
@ConfigMapping(prefix = "timecoin.consensus")
public interface ConsensusSettings {
    @WithDefault("" + CoreConfig.BLOCK_INTERVAL_MILLIS)
    long blockIntervalMillis();

    @WithDefault("" + CoreConfig.BASE_ROUND_TIMEOUT_MILLIS)
    long baseRoundTimeoutMillis();

    @WithDefault("" + CoreConfig.MAX_BACKOFF_EXPONENT)
    int maxBackoffExponent();

    @WithDefault("" + CoreConfig.TX_LOCK_TIMEOUT_MILLIS)
    long txLockTimeoutMillis();

    @WithDefault("" + CoreConfig.MAX_FUTURE_HEIGHTS)
    int maxFutureHeights();

    @WithDefault("" + CoreConfig.MAX_FUTURE_ROUNDS)
    int maxFutureRounds();

    @WithDefault("" + CoreConfig.MAX_BUFFERED_PER_SENDER)
    int maxBufferedPerSender();

    @WithDefault("" + CoreConfig.MAX_BUFFERED_BYTES_PER_SENDER)
    long maxBufferedBytesPerSender();

    @WithDefault("" + CoreConfig.MAX_TRACKED_TRANSACTIONS)
    int maxTrackedTransactions();

    @WithDefault("" + CoreConfig.MAX_EVIDENCE)
    int maxEvidence();

    default CoreConfig coreConfig() {
        return new CoreConfig(blockIntervalMillis(), baseRoundTimeoutMillis(), maxBackoffExponent(), txLockTimeoutMillis(), maxFutureHeights(),
                maxFutureRounds(), maxBufferedPerSender(), maxBufferedBytesPerSender(), maxTrackedTransactions(), maxEvidence());
    }
}
