package org.timecoin.p2p;

import java.util.List;
import java.util.Optional;

import org.timecoin.p2p.net.P2pConfig;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** {@code timecoin.p2p.*}: every limit of the p2p service is explicit configuration; each default is P2pConfig's constant. */
@ConfigMapping(prefix = "timecoin.p2p")
public interface P2pSettings {
    @WithDefault(P2pConfig.LISTEN_HOST)
    String listenHost();

    /** The p2p port; 0 binds a free one (tests). */
    int port();

    /** The host other nodes should dial (signed into this node's PEERADDR). */
    @WithDefault(P2pConfig.ADVERTISED_HOST)
    String advertisedHost();

    /** host:port of seed peers. */
    Optional<List<String>> seeds();

    /** This stack's ledger (any replica), which serves blocks to syncing peers. */
    String ledgerUrl();

    @WithDefault("" + P2pConfig.TARGET_OUTBOUND)
    int targetOutbound();

    @WithDefault("" + P2pConfig.MAX_INBOUND)
    int maxInbound();

    @WithDefault("" + P2pConfig.MAX_CONNECTIONS_PER_IP)
    int maxConnectionsPerIp();

    /** New inbound connections accepted per second from one address (each handshake costs an X25519 and a signature). */
    @WithDefault("" + P2pConfig.HANDSHAKES_PER_IP_PER_SECOND)
    double handshakesPerIpPerSecond();

    /** Frames other than blocks and block-consensus messages. */
    @WithDefault("" + P2pConfig.MAX_SMALL_FRAME_BYTES)
    int maxSmallFrameBytes();

    @WithDefault("" + P2pConfig.MAX_LARGE_FRAME_BYTES)
    int maxLargeFrameBytes();

    @WithDefault("" + P2pConfig.HANDSHAKE_TIMEOUT_MILLIS)
    long handshakeTimeoutMillis();

    @WithDefault("" + P2pConfig.PING_INTERVAL_MILLIS)
    long pingIntervalMillis();

    @WithDefault("" + P2pConfig.DEAD_AFTER_MILLIS)
    long deadAfterMillis();

    @WithDefault("" + P2pConfig.TX_PER_SECOND)
    double txPerSecond();

    @WithDefault("" + P2pConfig.VOTES_PER_SECOND)
    double votesPerSecond();

    @WithDefault("" + P2pConfig.BLOCKS_PER_SECOND)
    double blocksPerSecond();

    @WithDefault("" + P2pConfig.CONTROL_PER_SECOND)
    double controlPerSecond();

    @WithDefault("" + P2pConfig.BAN_THRESHOLD)
    int banThreshold();

    @WithDefault("" + P2pConfig.BAN_MILLIS)
    long banMillis();

    @WithDefault("" + P2pConfig.RECONNECT_BASE_MILLIS)
    long reconnectBaseMillis();

    @WithDefault("" + P2pConfig.RECONNECT_MAX_MILLIS)
    long reconnectMaxMillis();

    @WithDefault("" + P2pConfig.DISCOVERY_INTERVAL_MILLIS)
    long discoveryIntervalMillis();

    /** Blocks per sync request (and at most this many served per request). */
    @WithDefault("" + P2pConfig.SYNC_BATCH)
    int syncBatch();

    /** How far sync may run ahead of the applied height (the consensus service buffers 256). */
    @WithDefault("" + P2pConfig.SYNC_WINDOW)
    int syncWindow();

    @WithDefault("" + P2pConfig.SYNC_TIMEOUT_MILLIS)
    long syncTimeoutMillis();

    /** Bytes of blocks served to one peer per second (GetBlocks answers, one at a time per peer); at least max-large-frame-bytes. */
    @WithDefault("" + P2pConfig.SYNC_SERVE_BYTES_PER_SECOND)
    long syncServeBytesPerSecond();

    @WithDefault("" + P2pConfig.SEEN_CAPACITY)
    int seenCapacity();

    @WithDefault("" + P2pConfig.ADDRESS_BOOK_CAPACITY)
    int addressBookCapacity();

    /** IPs never banned by address (a devnet's nodes all share loopback; keys are still banned). */
    @WithDefault(P2pConfig.IP_BAN_EXEMPT)
    List<String> ipBanExempt();
}
