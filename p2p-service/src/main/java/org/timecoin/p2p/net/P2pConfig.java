package org.timecoin.p2p.net;

import java.util.List;
import java.util.Map;

import org.timecoin.protocol.model.Network;
import org.timecoin.protocol.wire.Frames;
import org.timecoin.protocol.wire.WireMessage.Kind;

/**
 * Everything the p2p network is told by configuration ({@code timecoin.p2p.*}); all limits are explicit here. The
 * constants are the one source of each default: {@code P2pSettings} names them, and a {@link Builder} starts from them.
 */
public record P2pConfig(Network network, String listenHost, int listenPort, String advertisedHost, List<String> seeds, int targetOutbound, int maxInbound, int maxPerIp, double handshakesPerIpPerSecond, Frames.SizeLimits frameLimits, long handshakeTimeoutMillis, long pingIntervalMillis, long deadAfterMillis, Map<Kind, Double> ratesPerSecond, int banThreshold, long banMillis, long backoffBaseMillis, long backoffMaxMillis, long discoveryIntervalMillis, int syncBatch, int syncWindow, long syncTimeoutMillis, long syncServeBytesPerSecond, int seenCapacity, int addressBookCapacity, List<String> ipBanExempt) {
    public static final String LISTEN_HOST = "0.0.0.0";
    public static final String ADVERTISED_HOST = "127.0.0.1";
    public static final int TARGET_OUTBOUND = 8;
    public static final int MAX_INBOUND = 64;
    public static final int MAX_CONNECTIONS_PER_IP = 8;
    public static final double HANDSHAKES_PER_IP_PER_SECOND = 20;
    public static final long HANDSHAKE_TIMEOUT_MILLIS = 10_000;
    public static final long PING_INTERVAL_MILLIS = 30_000;
    public static final long DEAD_AFTER_MILLIS = 90_000;
    public static final int BAN_THRESHOLD = 100;
    public static final long BAN_MILLIS = 600_000;
    public static final long RECONNECT_BASE_MILLIS = 1_000;
    public static final long RECONNECT_MAX_MILLIS = 300_000;
    public static final long DISCOVERY_INTERVAL_MILLIS = 60_000;
    public static final int SYNC_BATCH = 100;
    public static final int SYNC_WINDOW = 200;
    public static final long SYNC_TIMEOUT_MILLIS = 10_000;
    public static final long SYNC_SERVE_BYTES_PER_SECOND = 64L << 20;
    public static final int SEEN_CAPACITY = 100_000;
    public static final int ADDRESS_BOOK_CAPACITY = 1_000;
    public static final int MAX_SMALL_FRAME_BYTES = 1 << 20;
    public static final int MAX_LARGE_FRAME_BYTES = 64 << 20;
    public static final double TX_PER_SECOND = 1_000;
    public static final double VOTES_PER_SECOND = 500;
    public static final double BLOCKS_PER_SECOND = 100;
    public static final double CONTROL_PER_SECOND = 50;
    /** A devnet's nodes all share loopback: never banned by address (their keys still are). */
    public static final String IP_BAN_EXEMPT = "127.0.0.1,0:0:0:0:0:0:0:1";

    public P2pConfig {
        if (syncServeBytesPerSecond < frameLimits.largeBytes()) {
            throw new IllegalArgumentException("sync-serve-bytes-per-second (" + syncServeBytesPerSecond + ") must be at least the large frame limit ("
                    + frameLimits.largeBytes() + "): a larger answer could never be served");
        }
    }

    /** Every setting at its default, for {@code network}; listening on a free port, no seeds. */
    public static Builder builder(Network network) {
        return new Builder(network);
    }

    /** A builder holding this configuration's settings. */
    public Builder toBuilder() {
        Builder b = new Builder(network);
        b.network = network;
        b.listenHost = listenHost;
        b.listenPort = listenPort;
        b.advertisedHost = advertisedHost;
        b.seeds = seeds;
        b.targetOutbound = targetOutbound;
        b.maxInbound = maxInbound;
        b.maxPerIp = maxPerIp;
        b.handshakesPerIpPerSecond = handshakesPerIpPerSecond;
        b.frameLimits = frameLimits;
        b.handshakeTimeoutMillis = handshakeTimeoutMillis;
        b.pingIntervalMillis = pingIntervalMillis;
        b.deadAfterMillis = deadAfterMillis;
        b.ratesPerSecond = ratesPerSecond;
        b.banThreshold = banThreshold;
        b.banMillis = banMillis;
        b.backoffBaseMillis = backoffBaseMillis;
        b.backoffMaxMillis = backoffMaxMillis;
        b.discoveryIntervalMillis = discoveryIntervalMillis;
        b.syncBatch = syncBatch;
        b.syncWindow = syncWindow;
        b.syncTimeoutMillis = syncTimeoutMillis;
        b.syncServeBytesPerSecond = syncServeBytesPerSecond;
        b.seenCapacity = seenCapacity;
        b.addressBookCapacity = addressBookCapacity;
        b.ipBanExempt = ipBanExempt;
        return b;
    }

    /** Settings by name, starting from the defaults. */
    public static final class Builder {
        private Network network;
        private String listenHost = LISTEN_HOST;
        private int listenPort;
        private String advertisedHost = ADVERTISED_HOST;
        private List<String> seeds;
        private int targetOutbound = TARGET_OUTBOUND;
        private int maxInbound = MAX_INBOUND;
        private int maxPerIp = MAX_CONNECTIONS_PER_IP;
        private double handshakesPerIpPerSecond = HANDSHAKES_PER_IP_PER_SECOND;
        private Frames.SizeLimits frameLimits;
        private long handshakeTimeoutMillis = HANDSHAKE_TIMEOUT_MILLIS;
        private long pingIntervalMillis = PING_INTERVAL_MILLIS;
        private long deadAfterMillis = DEAD_AFTER_MILLIS;
        private Map<Kind, Double> ratesPerSecond;
        private int banThreshold = BAN_THRESHOLD;
        private long banMillis = BAN_MILLIS;
        private long backoffBaseMillis = RECONNECT_BASE_MILLIS;
        private long backoffMaxMillis = RECONNECT_MAX_MILLIS;
        private long discoveryIntervalMillis = DISCOVERY_INTERVAL_MILLIS;
        private int syncBatch = SYNC_BATCH;
        private int syncWindow = SYNC_WINDOW;
        private long syncTimeoutMillis = SYNC_TIMEOUT_MILLIS;
        private long syncServeBytesPerSecond = SYNC_SERVE_BYTES_PER_SECOND;
        private int seenCapacity = SEEN_CAPACITY;
        private int addressBookCapacity = ADDRESS_BOOK_CAPACITY;
        private List<String> ipBanExempt;

        private Builder(Network network) {
            this.network = network;
            this.listenPort = 0;
            this.seeds = List.of();
            this.frameLimits = new Frames.SizeLimits(MAX_SMALL_FRAME_BYTES, MAX_LARGE_FRAME_BYTES);
            this.ratesPerSecond = Map.of(Kind.TRANSACTION, TX_PER_SECOND, Kind.VOTE, VOTES_PER_SECOND, Kind.BLOCK, BLOCKS_PER_SECOND, Kind.CONTROL, CONTROL_PER_SECOND);
            this.ipBanExempt = List.of(IP_BAN_EXEMPT.split(","));
        }

        public Builder listenHost(String listenHost) {
            this.listenHost = listenHost;
            return this;
        }

        public Builder listenPort(int listenPort) {
            this.listenPort = listenPort;
            return this;
        }

        public Builder advertisedHost(String advertisedHost) {
            this.advertisedHost = advertisedHost;
            return this;
        }

        public Builder seeds(List<String> seeds) {
            this.seeds = seeds;
            return this;
        }

        public Builder targetOutbound(int targetOutbound) {
            this.targetOutbound = targetOutbound;
            return this;
        }

        public Builder maxInbound(int maxInbound) {
            this.maxInbound = maxInbound;
            return this;
        }

        public Builder maxPerIp(int maxPerIp) {
            this.maxPerIp = maxPerIp;
            return this;
        }

        public Builder handshakesPerIpPerSecond(double handshakesPerIpPerSecond) {
            this.handshakesPerIpPerSecond = handshakesPerIpPerSecond;
            return this;
        }

        public Builder frameLimits(Frames.SizeLimits frameLimits) {
            this.frameLimits = frameLimits;
            return this;
        }

        public Builder handshakeTimeoutMillis(long handshakeTimeoutMillis) {
            this.handshakeTimeoutMillis = handshakeTimeoutMillis;
            return this;
        }

        public Builder pingIntervalMillis(long pingIntervalMillis) {
            this.pingIntervalMillis = pingIntervalMillis;
            return this;
        }

        public Builder deadAfterMillis(long deadAfterMillis) {
            this.deadAfterMillis = deadAfterMillis;
            return this;
        }

        public Builder ratesPerSecond(Map<Kind, Double> ratesPerSecond) {
            this.ratesPerSecond = ratesPerSecond;
            return this;
        }

        public Builder banThreshold(int banThreshold) {
            this.banThreshold = banThreshold;
            return this;
        }

        public Builder banMillis(long banMillis) {
            this.banMillis = banMillis;
            return this;
        }

        public Builder backoffBaseMillis(long backoffBaseMillis) {
            this.backoffBaseMillis = backoffBaseMillis;
            return this;
        }

        public Builder backoffMaxMillis(long backoffMaxMillis) {
            this.backoffMaxMillis = backoffMaxMillis;
            return this;
        }

        public Builder discoveryIntervalMillis(long discoveryIntervalMillis) {
            this.discoveryIntervalMillis = discoveryIntervalMillis;
            return this;
        }

        public Builder syncBatch(int syncBatch) {
            this.syncBatch = syncBatch;
            return this;
        }

        public Builder syncWindow(int syncWindow) {
            this.syncWindow = syncWindow;
            return this;
        }

        public Builder syncTimeoutMillis(long syncTimeoutMillis) {
            this.syncTimeoutMillis = syncTimeoutMillis;
            return this;
        }

        public Builder syncServeBytesPerSecond(long syncServeBytesPerSecond) {
            this.syncServeBytesPerSecond = syncServeBytesPerSecond;
            return this;
        }

        public Builder seenCapacity(int seenCapacity) {
            this.seenCapacity = seenCapacity;
            return this;
        }

        public Builder addressBookCapacity(int addressBookCapacity) {
            this.addressBookCapacity = addressBookCapacity;
            return this;
        }

        public Builder ipBanExempt(List<String> ipBanExempt) {
            this.ipBanExempt = ipBanExempt;
            return this;
        }

        public P2pConfig build() {
            return new P2pConfig(network, listenHost, listenPort, advertisedHost, seeds, targetOutbound, maxInbound, maxPerIp, handshakesPerIpPerSecond, frameLimits, handshakeTimeoutMillis, pingIntervalMillis, deadAfterMillis, ratesPerSecond, banThreshold, banMillis, backoffBaseMillis, backoffMaxMillis, discoveryIntervalMillis, syncBatch, syncWindow, syncTimeoutMillis, syncServeBytesPerSecond, seenCapacity, addressBookCapacity, ipBanExempt);
        }
    }
}
