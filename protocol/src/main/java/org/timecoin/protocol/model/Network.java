package org.timecoin.protocol.model;

import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.codec.ProtocolException.Reason;

/** The three networks: each has its own chain id (replay protection), frame magic, address digit and ports. */
public enum Network {
    MAINNET(1, '1', 24000, 24001),
    TESTNET(2, '0', 24100, 24101),
    DEVNET(3, '0', 24200, 24201);

    private final int chainId;
    private final char addressDigit;
    private final int p2pPort;
    private final int httpPort;

    Network(int chainId, char addressDigit, int p2pPort, int httpPort) {
        this.chainId = chainId;
        this.addressDigit = addressDigit;
        this.p2pPort = p2pPort;
        this.httpPort = httpPort;
    }

    public int chainId() {
        return chainId;
    }

    public char addressDigit() {
        return addressDigit;
    }

    public int defaultP2pPort() {
        return p2pPort;
    }

    public int defaultHttpPort() {
        return httpPort;
    }

    /** Frame magic for p2p: ASCII "TIM" followed by the chain id byte. */
    public int magic() {
        return 0x54494D00 | chainId;
    }

    public static Network byChainId(long chainId) {
        for (Network n : values()) {
            if (n.chainId == chainId) return n;
        }
        throw new ProtocolException(Reason.INVALID_VALUE, "unknown chain id " + chainId);
    }

    public static Network byName(String name) {
        for (Network n : values()) {
            if (n.name().equalsIgnoreCase(name)) return n;
        }
        throw new IllegalArgumentException("unknown network '" + name + "' (mainnet, testnet, devnet)");
    }
}
