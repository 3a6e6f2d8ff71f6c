package org.timecoin.protocol.genesis;

import org.timecoin.protocol.codec.Hex;
import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.model.Network;

/**
 * A masternode's key, as every service of its stack finds it: the configured private key (hex; from a Secret in
 * Kubernetes), or — on devnet only — the key the devnet genesis registered for this node index. Never logged.
 */
public final class NodeKeys {
    private NodeKeys() {
    }

    public static KeyPair resolve(Network network, String privateKeyHex, String devnetSeed, int devnetIndex) {
        if (privateKeyHex != null && !privateKeyHex.isBlank()) return Ed25519Keys.fromPrivateKey(Hex.decode(privateKeyHex.trim()));
        if (network == Network.DEVNET) return Ed25519Keys.deterministic(devnetSeed, "masternode", devnetIndex);
        throw new IllegalStateException("timecoin.node.private-key is required on " + network.name().toLowerCase());
    }
}
