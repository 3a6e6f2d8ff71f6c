package org.timecoin.service;

import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.genesis.NodeKeys;
import org.timecoin.protocol.model.Network;

/**
 * This validator's network and signing key. The key comes from {@code timecoin.node.private-key} (hex; from a Secret in
 * Kubernetes), or — on devnet only — is derived from the devnet genesis seed and the node index, exactly as the
 * genesis registered it. The key is never logged. Consensus signs with it; p2p authenticates its connections with it.
 */
@ApplicationScoped
public class NodeIdentity {
    private final Network network;
    private final KeyPair key;

    public NodeIdentity(@ConfigProperty(name = "timecoin.network") String network,
                        @ConfigProperty(name = "timecoin.node.private-key") Optional<String> privateKey,
                        @ConfigProperty(name = "timecoin.genesis.seed", defaultValue = "devnet") String seed,
                        @ConfigProperty(name = "timecoin.node.index", defaultValue = "0") int index) {
        this.network = Network.byName(network);
        this.key = NodeKeys.resolve(this.network, privateKey.orElse(null), seed, index);
    }

    public Network network() {
        return network;
    }

    public int chainId() {
        return network.chainId();
    }

    public KeyPair key() {
        return key;
    }
}
