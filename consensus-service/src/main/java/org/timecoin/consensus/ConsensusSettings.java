package org.timecoin.consensus;

import org.timecoin.consensus.core.CoreConfig;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Consensus timing and bounds (see CoreConfig); defaults are devnet's, mainnet overrides them. */
@ConfigMapping(prefix = "timecoin.consensus")
public interface ConsensusSettings {
    @WithDefault("2000")
    long blockIntervalMillis();

    @WithDefault("1000")
    long baseRoundTimeoutMillis();

    @WithDefault("6")
    int maxBackoffExponent();

    @WithDefault("30000")
    long txLockTimeoutMillis();

    @WithDefault("2")
    int maxFutureHeights();

    @WithDefault("10")
    int maxFutureRounds();

    @WithDefault("64")
    int maxBufferedPerSender();

    /** Encoded bytes of one validator's messages held for later heights (a PrePrepare carries a block). */
    @WithDefault("16777216")
    long maxBufferedBytesPerSender();

    @WithDefault("200000")
    int maxTrackedTransactions();

    @WithDefault("1000")
    int maxEvidence();

    default CoreConfig coreConfig() {
        return new CoreConfig(blockIntervalMillis(), baseRoundTimeoutMillis(), maxBackoffExponent(), txLockTimeoutMillis(), maxFutureHeights(),
                maxFutureRounds(), maxBufferedPerSender(), maxBufferedBytesPerSender(), maxTrackedTransactions(), maxEvidence());
    }
}
