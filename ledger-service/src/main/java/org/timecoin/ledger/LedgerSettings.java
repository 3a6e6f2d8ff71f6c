package org.timecoin.ledger;

import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** {@code timecoin.ledger.*}: every limit of the ledger is explicit configuration, its default here (the one source). */
@ConfigMapping(prefix = "timecoin.ledger")
public interface LedgerSettings {
    /** Transactions a proposal holds at most. */
    @WithDefault("5000")
    int maxBlockTransactions();

    /** A proposal (transactions + certificates) stays under this, so it fits one Kafka record (kafka.max.request.size). */
    @WithDefault("8388608")
    int maxBlockBytes();

    /**
     * The mempool bound: transactions validated and locked here, not final yet. Past it a valid transaction is refused
     * with MEMPOOL_FULL (this node votes against it, locks nothing), and the gateway refuses submissions with a 503.
     */
    @WithDefault("10000")
    long maxPendingTransactions();

    /** UTXOs the read cache holds. */
    @WithDefault("100000")
    long utxoCacheSize();

    /** Locks older than this are released even if consensus never said so (consensus releases them after 30 s). */
    @WithDefault("60")
    long lockTimeoutSeconds();

    /** How long a transaction whose inputs are not known yet waits for its parent. */
    @WithDefault("3000")
    long orphanWaitMillis();

    @WithDefault("10000")
    int maxOrphans();

    /** For the crash tests only. */
    Fault fault();

    interface Fault {
        /**
         * The first process to apply this block creates {@link #haltMarker()} and halts (like kill -9) after every
         * statement of the block ran and before the commit; -1: never.
         */
        @WithDefault("-1")
        long haltBeforeCommitHeight();

        Optional<String> haltMarker();
    }
}
