package org.timecoin.protocol.model;

import org.timecoin.protocol.codec.Reader;
import org.timecoin.protocol.codec.Writer;
import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.HashTag;
import org.timecoin.protocol.crypto.Hashes;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.crypto.Signature;

/**
 * A registered masternode's proof that it runs: its node key signs a recent block of the chain (height and hash), which
 * only a node that is up and synced can name. A registration alone never puts a node in the set — one that never runs
 * would count toward every quorum — its activation, in a block, does, from the next epoch boundary.
 * Body: node key ‖ u64 height ‖ block hash. Witness: signature over H("TIMECOIN/mnact", u32 chain id ‖ body).
 * No inputs, no outputs, no fee: at most one activation per registration can be pending, and each costs its
 * registration's fee.
 */
public record MasternodeActivation(PublicKey nodeKey, long height, Hash blockHash, Signature signature) implements Payload {
    public static final int WITNESS_LENGTH = Signature.LENGTH;
    /** A node votes for an activation that names one of its last this many blocks (it proves the node is synced now). */
    public static final int MAX_AGE_BLOCKS = 16;
    /**
     * A block may carry an activation naming a block at most this far below it (room for the votes and a few blocks;
     * well under {@link org.timecoin.protocol.rules.ServiceProof#EXPIRY_BLOCKS}, so a proof included late is not expired at once).
     */
    public static final int MAX_AGE_IN_BLOCK = 32;
    /** A node signs the block this far below the one it just applied: every validator a block or two behind has it too. */
    public static final int SIGNED_DEPTH = 2;
    private static final Signature NO_SIGNATURE = new Signature(new byte[Signature.LENGTH]);

    public MasternodeActivation {
        if (height < 0) throw new IllegalArgumentException("negative height");
    }

    public static MasternodeActivation sign(int chainId, KeyPair node, long height, Hash blockHash) {
        MasternodeActivation unsigned = new MasternodeActivation(node.publicKey(), height, blockHash, NO_SIGNATURE);
        return new MasternodeActivation(node.publicKey(), height, blockHash, node.sign(unsigned.signingHash(chainId)));
    }

    /** The transaction that carries it (no inputs, no outputs). */
    public Transaction transaction() {
        return new Transaction(java.util.List.of(), java.util.List.of(), this);
    }

    @Override
    public int kind() {
        return KIND_MASTERNODE_ACTIVATION;
    }

    @Override
    public void writeBody(Writer w) {
        nodeKey.write(w);
        w.u64(height);
        blockHash.write(w);
    }

    @Override
    public void writeWitness(Writer w) {
        signature.write(w);
    }

    public Hash signingHash(int chainId) {
        Writer w = new Writer(80);
        w.u32(chainId);
        writeBody(w);
        return Hashes.tagged(HashTag.MASTERNODE_ACTIVATION, w.toByteArray());
    }

    public boolean signatureValid(int chainId) {
        return Ed25519Keys.verify(nodeKey, signingHash(chainId), signature);
    }

    static MasternodeActivation readBody(Reader r) {
        return new MasternodeActivation(PublicKey.read(r), r.u63("activation height"), Hash.read(r), NO_SIGNATURE);
    }

    MasternodeActivation withWitness(Reader r) {
        return new MasternodeActivation(nodeKey, height, blockHash, Signature.read(r));
    }
}
