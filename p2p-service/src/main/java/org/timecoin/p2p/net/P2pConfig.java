package org.timecoin.p2p.net;

import java.util.List;
import java.util.Map;

import org.timecoin.protocol.model.Network;
import org.timecoin.protocol.wire.Frames;
import org.timecoin.protocol.wire.WireMessage.Kind;

/** Everything the p2p network is told by configuration ({@code timecoin.p2p.*}); all limits are explicit here. */
public record P2pConfig(Network network, String listenHost, int listenPort, String advertisedHost, List<String> seeds,
                        int targetOutbound, int maxInbound, int maxPerIp, double handshakesPerIpPerSecond, Frames.SizeLimits frameLimits, long handshakeTimeoutMillis,
                        long pingIntervalMillis, long deadAfterMillis, Map<Kind, Double> ratesPerSecond, int banThreshold, long banMillis,
                        long backoffBaseMillis, long backoffMaxMillis, long discoveryIntervalMillis, int syncBatch, int syncWindow,
                        long syncTimeoutMillis, long syncServeBytesPerSecond, int seenCapacity, int addressBookCapacity, List<String> ipBanExempt) {

    public P2pConfig {
        if (syncServeBytesPerSecond < frameLimits.largeBytes()) {
            throw new IllegalArgumentException("sync-serve-bytes-per-second (" + syncServeBytesPerSecond + ") must be at least the large frame limit ("
                    + frameLimits.largeBytes() + "): a larger answer could never be served");
        }
    }

    /** Defaults for tests and the devnet: mainnet-like limits, fast timers. */
    public static P2pConfig devnet(int listenPort, List<String> seeds) {
        return new P2pConfig(Network.DEVNET, "127.0.0.1", listenPort, "127.0.0.1", seeds, 8, 64, 32, 20.0,
                new Frames.SizeLimits(1 << 20, 64 << 20), 5_000, 2_000, 6_000,
                Map.of(Kind.TRANSACTION, 1_000.0, Kind.VOTE, 500.0, Kind.BLOCK, 100.0, Kind.CONTROL, 50.0), 100, 60_000,
                200, 10_000, 2_000, 100, 200, 10_000, 64L << 20, 100_000, 1_000, List.of("127.0.0.1", "0:0:0:0:0:0:0:1"));
    }

    public P2pConfig withRates(Map<Kind, Double> rates) {
        return new P2pConfig(network, listenHost, listenPort, advertisedHost, seeds, targetOutbound, maxInbound, maxPerIp, handshakesPerIpPerSecond, frameLimits,
                handshakeTimeoutMillis, pingIntervalMillis, deadAfterMillis, rates, banThreshold, banMillis, backoffBaseMillis, backoffMaxMillis,
                discoveryIntervalMillis, syncBatch, syncWindow, syncTimeoutMillis, syncServeBytesPerSecond, seenCapacity, addressBookCapacity, ipBanExempt);
    }

    public P2pConfig withHeartbeat(long pingInterval, long deadAfter) {
        return new P2pConfig(network, listenHost, listenPort, advertisedHost, seeds, targetOutbound, maxInbound, maxPerIp, handshakesPerIpPerSecond, frameLimits,
                handshakeTimeoutMillis, pingInterval, deadAfter, ratesPerSecond, banThreshold, banMillis, backoffBaseMillis, backoffMaxMillis,
                discoveryIntervalMillis, syncBatch, syncWindow, syncTimeoutMillis, syncServeBytesPerSecond, seenCapacity, addressBookCapacity, ipBanExempt);
    }

    public P2pConfig withIpBanExempt(List<String> exempt) {
        return new P2pConfig(network, listenHost, listenPort, advertisedHost, seeds, targetOutbound, maxInbound, maxPerIp, handshakesPerIpPerSecond, frameLimits,
                handshakeTimeoutMillis, pingIntervalMillis, deadAfterMillis, ratesPerSecond, banThreshold, banMillis, backoffBaseMillis, backoffMaxMillis,
                discoveryIntervalMillis, syncBatch, syncWindow, syncTimeoutMillis, syncServeBytesPerSecond, seenCapacity, addressBookCapacity, exempt);
    }

    public P2pConfig withSync(Frames.SizeLimits limits, long serveBytesPerSecond) {
        return new P2pConfig(network, listenHost, listenPort, advertisedHost, seeds, targetOutbound, maxInbound, maxPerIp, handshakesPerIpPerSecond, limits,
                handshakeTimeoutMillis, pingIntervalMillis, deadAfterMillis, ratesPerSecond, banThreshold, banMillis, backoffBaseMillis, backoffMaxMillis,
                discoveryIntervalMillis, syncBatch, syncWindow, syncTimeoutMillis, serveBytesPerSecond, seenCapacity, addressBookCapacity, ipBanExempt);
    }

    public P2pConfig withHandshakesPerIpPerSecond(double rate) {
        return new P2pConfig(network, listenHost, listenPort, advertisedHost, seeds, targetOutbound, maxInbound, maxPerIp, rate, frameLimits,
                handshakeTimeoutMillis, pingIntervalMillis, deadAfterMillis, ratesPerSecond, banThreshold, banMillis, backoffBaseMillis, backoffMaxMillis,
                discoveryIntervalMillis, syncBatch, syncWindow, syncTimeoutMillis, syncServeBytesPerSecond, seenCapacity, addressBookCapacity, ipBanExempt);
    }
}
