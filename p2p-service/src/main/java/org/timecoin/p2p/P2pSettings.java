package org.timecoin.p2p;

import java.util.List;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** {@code timecoin.p2p.*}: every limit of the p2p service is explicit configuration. */
@ConfigMapping(prefix = "timecoin.p2p")
public interface P2pSettings {
    @WithDefault("0.0.0.0")
    String listenHost();

    /** The p2p port; 0 binds a free one (tests). */
    int port();

    /** The host other nodes should dial (signed into this node's PEERADDR). */
    @WithDefault("127.0.0.1")
    String advertisedHost();

    /** host:port of seed peers. */
    Optional<List<String>> seeds();

    /** This stack's ledger (any replica), which serves blocks to syncing peers. */
    String ledgerUrl();

    @WithDefault("8")
    int targetOutbound();

    @WithDefault("64")
    int maxInbound();

    @WithDefault("8")
    int maxConnectionsPerIp();

    /** New inbound connections accepted per second from one address (each handshake costs an X25519 and a signature). */
    @WithDefault("20")
    double handshakesPerIpPerSecond();

    /** Frames other than blocks and block-consensus messages. */
    @WithDefault("1048576")
    int maxSmallFrameBytes();

    @WithDefault("67108864")
    int maxLargeFrameBytes();

    @WithDefault("10000")
    long handshakeTimeoutMillis();

    @WithDefault("30000")
    long pingIntervalMillis();

    @WithDefault("90000")
    long deadAfterMillis();

    @WithDefault("1000")
    double txPerSecond();

    @WithDefault("500")
    double votesPerSecond();

    @WithDefault("100")
    double blocksPerSecond();

    @WithDefault("50")
    double controlPerSecond();

    @WithDefault("100")
    int banThreshold();

    @WithDefault("600000")
    long banMillis();

    @WithDefault("1000")
    long reconnectBaseMillis();

    @WithDefault("300000")
    long reconnectMaxMillis();

    @WithDefault("60000")
    long discoveryIntervalMillis();

    /** Blocks per sync request (and at most this many served per request). */
    @WithDefault("100")
    int syncBatch();

    /** How far sync may run ahead of the applied height (the consensus service buffers 256). */
    @WithDefault("200")
    int syncWindow();

    @WithDefault("10000")
    long syncTimeoutMillis();

    /** Bytes of blocks served to one peer per second (GetBlocks answers, one at a time per peer); at least max-large-frame-bytes. */
    @WithDefault("67108864")
    long syncServeBytesPerSecond();

    @WithDefault("100000")
    int seenCapacity();

    @WithDefault("1000")
    int addressBookCapacity();

    /** IPs never banned by address (a devnet's nodes all share loopback; keys are still banned). */
    @WithDefault("127.0.0.1,0:0:0:0:0:0:0:1")
    List<String> ipBanExempt();
}
