package org.timecoin.consensus;

import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.timecoin.protocol.codec.Hex;
import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.model.Network;

/**
 * This validator's network and signing key. The key comes from {@code timecoin.node.private-key} (hex; from a Secret in
 * Kubernetes), or — on devnet only — is derived from the devnet genesis seed and the node index, exactly as the
 * genesis registered it. The key is never logged.
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
        if (privateKey.isPresent() && !privateKey.get().isBlank()) {
            this.key = Ed25519Keys.fromPrivateKey(Hex.decode(privateKey.get().trim()));
        } else if (this.network == Network.DEVNET) {
            this.key = Ed25519Keys.deterministic(seed, "masternode", index);
        } else {
            throw new IllegalStateException("timecoin.node.private-key is required on " + network);
        }
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
