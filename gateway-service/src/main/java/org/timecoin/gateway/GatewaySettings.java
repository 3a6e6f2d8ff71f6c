package org.timecoin.gateway;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** {@code timecoin.gateway.*}: where the stack's services are and the limits of the public API. */
@ConfigMapping(prefix = "timecoin.gateway")
public interface GatewaySettings {
    /** The ledger's REST API (any replica, or a load-balanced Service). */
    String ledgerUrl();

    String consensusUrl();

    String p2pUrl();

    /** Requests per second per client IP (token bucket, burst = two seconds' worth); 0 disables. */
    @WithDefault("50")
    double requestsPerSecond();

    /** Longest wait of a finality long-poll. */
    @WithDefault("30000")
    long maxWaitMillis();

    /** Submitted transactions remembered (to answer "submitted" before the ledger has seen them). */
    @WithDefault("100000")
    int recentSubmissions();

    /**
     * Outcomes remembered (with their certificates, ~2 KB each) for a finality wait that begins after its outcome came
     * (a wallet asks a moment after submitting): some seconds' worth at the highest rate is enough, and the memory is
     * held for good once filled (1,024: ~2 MB; 17 s at 60 tx/s).
     */
    @WithDefault("1024")
    int recentOutcomes();

    /**
     * How old the ledger's mempool reading may be before a submission asks for a new one; between readings the
     * submissions made here count as pending.
     */
    @WithDefault("500")
    long mempoolRefreshMillis();

    /**
     * Share of the ledger's mempool bound that this node's submissions may fill, in (0, 1]. The rest is room for the
     * payments other nodes admitted, which reach this node's ledger over p2p: one it refused for a full mempool would
     * be a vote against it, and more than a third of the weight voting so releases it (BENCHMARKS.md, session 13).
     */
    @WithDefault("0.5")
    double mempoolAdmissionShare();

    /** Finality waits (long-polls) in progress at once, over all clients. */
    @WithDefault("10000")
    int maxWaits();

    /** Finality waits in progress at once from one client (its address, or the one a trusted proxy forwards). */
    @WithDefault("100")
    int maxWaitsPerClient();

    /** Clients tracked by the rate limiter (least recently seen forgotten first). */
    @WithDefault("100000")
    int trackedClients();
}
