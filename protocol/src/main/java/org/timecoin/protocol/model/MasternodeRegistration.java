package org.timecoin.protocol.model;

import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.codec.ProtocolException.Reason;
import org.timecoin.protocol.codec.Reader;
import org.timecoin.protocol.codec.Writer;
import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.HashTag;
import org.timecoin.protocol.crypto.Hashes;
import org.timecoin.protocol.crypto.KeyHash;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.crypto.Signature;

/**
 * On-chain masternode registration: the node's key, its p2p address, its reward key hash, its tier and the
 * collateral outpoint, signed by the collateral's owner ({@link OutPoint#NULL} and the node's own key for Free) and by
 * the node key. Body: node key ‖ host (u16 len + UTF-8) ‖ u16 port ‖ reward key hash ‖ u8 tier ‖ collateral outpoint.
 * Witness: owner key ‖ owner signature ‖ node-key signature, both over H("TIMECOIN/mnreg", u32 chain id ‖ body).
 * The node key signs too because a key is registered once: without its consent anyone holding a collateral could
 * register someone else's node key first, take its rewards and lock its operator out.
 */
public record MasternodeRegistration(PublicKey nodeKey, String host, int port, KeyHash rewardKeyHash, Tier tier,
                                     OutPoint collateral, Witness ownerWitness, Signature nodeSignature) implements Payload {

    /** Bytes of the payload witness: owner key, owner signature, node signature. */
    public static final int WITNESS_LENGTH = Witness.LENGTH + Signature.LENGTH;
    private static final Signature NO_SIGNATURE = new Signature(new byte[Signature.LENGTH]);

    /** Unsigned. */
    public MasternodeRegistration(PublicKey nodeKey, String host, int port, KeyHash rewardKeyHash, Tier tier, OutPoint collateral) {
        this(nodeKey, host, port, rewardKeyHash, tier, collateral, Witness.EMPTY, NO_SIGNATURE);
    }

    public MasternodeRegistration {
        if (port < 1 || port > 0xFFFF) throw new IllegalArgumentException("port out of range: " + port);
        if (host.isEmpty() || host.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > Limits.MAX_HOST_BYTES) {
            throw new IllegalArgumentException("host must have 1.." + Limits.MAX_HOST_BYTES + " bytes");
        }
    }

    @Override
    public int kind() {
        return KIND_MASTERNODE_REGISTRATION;
    }

    @Override
    public void writeBody(Writer w) {
        nodeKey.write(w);
        w.string(host, Limits.MAX_HOST_BYTES);
        w.u16(port);
        rewardKeyHash.write(w);
        w.u8(tier.code());
        collateral.write(w);
    }

    @Override
    public void writeWitness(Writer w) {
        ownerWitness.write(w);
        nodeSignature.write(w);
    }

    public Hash signingHash(int chainId) {
        Writer w = new Writer(160);
        w.u32(chainId);
        writeBody(w);
        return Hashes.tagged(HashTag.MASTERNODE_REGISTRATION, w.toByteArray());
    }

    /** Signed by the collateral's owner and by the node key ({@code owner} is {@code node} for a Free node). */
    public MasternodeRegistration signedBy(int chainId, KeyPair owner, KeyPair node) {
        if (!node.publicKey().equals(nodeKey)) throw new IllegalArgumentException("not this registration's node key");
        Hash h = signingHash(chainId);
        return new MasternodeRegistration(nodeKey, host, port, rewardKeyHash, tier, collateral, new Witness(owner.publicKey(), owner.sign(h)), node.sign(h));
    }

    /** Checks the owner's and the node key's signatures; that the owner holds the collateral is a ledger (stateful) rule. */
    public boolean signaturesValid(int chainId) {
        Hash h = signingHash(chainId);
        return Ed25519Keys.verify(ownerWitness.key(), h, ownerWitness.signature()) && Ed25519Keys.verify(nodeKey, h, nodeSignature);
    }

    static MasternodeRegistration readBody(Reader r) {
        PublicKey nodeKey = PublicKey.read(r);
        String host = r.string(Limits.MAX_HOST_BYTES);
        if (host.isEmpty()) throw new ProtocolException(Reason.INVALID_VALUE, "empty host");
        int port = r.u16();
        if (port == 0) throw new ProtocolException(Reason.INVALID_VALUE, "port 0");
        KeyHash reward = KeyHash.read(r);
        Tier tier = Tier.byCode(r.u8());
        OutPoint collateral = OutPoint.read(r);
        return new MasternodeRegistration(nodeKey, host, port, reward, tier, collateral);
    }

    MasternodeRegistration withWitness(Reader r) {
        Witness owner = Witness.read(r);
        return new MasternodeRegistration(nodeKey, host, port, rewardKeyHash, tier, collateral, owner, Signature.read(r));
    }
}
