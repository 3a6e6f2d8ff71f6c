package org.timecoin.protocol.model;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.timecoin.protocol.codec.Encodable;
import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.codec.ProtocolException.Reason;
import org.timecoin.protocol.codec.Reader;
import org.timecoin.protocol.codec.Writer;
import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.HashTag;
import org.timecoin.protocol.crypto.Hashes;
import org.timecoin.protocol.crypto.Merkle;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.crypto.Signature;

/**
 * Transaction votes of one validator: one signature covers many verdicts (a single vote is a batch of one).
 * Encoding: u8 version (1) ‖ u32 chain id ‖ u64 validator-set height ‖ voter key ‖ u32 n ‖ n × VoteEntry ‖ signature.
 * Signed: H("TIMECOIN/vote", u32 chain id ‖ u64 validator-set height ‖ voter ‖ Merkle root of entry leaves).
 * Entries must have distinct txids.
 */
public final class TxVoteBatch implements Encodable {
    public static final int VERSION = 1;

    private final int chainId;
    private final long validatorSetHeight;
    private final PublicKey voter;
    private final List<VoteEntry> entries;
    private final Signature signature;
    private volatile Merkle.Tree tree;

    public TxVoteBatch(int chainId, long validatorSetHeight, PublicKey voter, List<VoteEntry> entries, Signature signature) {
        if (entries.isEmpty() || entries.size() > Limits.MAX_VOTE_BATCH) throw new IllegalArgumentException("1.." + Limits.MAX_VOTE_BATCH + " entries");
        this.chainId = chainId;
        this.validatorSetHeight = validatorSetHeight;
        this.voter = voter;
        this.entries = List.copyOf(entries);
        this.signature = signature;
    }

    public int chainId() {
        return chainId;
    }

    public long validatorSetHeight() {
        return validatorSetHeight;
    }

    public PublicKey voter() {
        return voter;
    }

    public List<VoteEntry> entries() {
        return entries;
    }

    public Signature signature() {
        return signature;
    }

    public static TxVoteBatch sign(int chainId, long validatorSetHeight, KeyPair voter, List<VoteEntry> entries) {
        Hash digest = signingHash(chainId, validatorSetHeight, voter.publicKey(), entriesRoot(entries));
        return new TxVoteBatch(chainId, validatorSetHeight, voter.publicKey(), entries, voter.sign(digest));
    }

    public static Hash entriesRoot(List<VoteEntry> entries) {
        return Merkle.root(entries.stream().map(VoteEntry::leafHash).toList());
    }

    public static Hash signingHash(int chainId, long validatorSetHeight, PublicKey voter, Hash entriesRoot) {
        Writer w = new Writer(4 + 8 + 32 + 32);
        w.u32(chainId).u64(validatorSetHeight);
        voter.write(w);
        entriesRoot.write(w);
        return Hashes.tagged(HashTag.VOTE, w.toByteArray());
    }

    public boolean signatureValid() {
        return Ed25519Keys.verify(voter, signingHash(chainId, validatorSetHeight, voter, tree().root()), signature);
    }

    /** The voter's proof for entry {@code index}, to be placed in a finality certificate. */
    public FinalityCertificate.VoteProof proofFor(int index) {
        return new FinalityCertificate.VoteProof(voter, signature, tree().branch(index));
    }

    /** The entries' Merkle tree, built once per batch: a proof per finalized transaction then costs O(log n). */
    public Merkle.Tree tree() {
        Merkle.Tree t = tree;
        if (t == null) {
            t = new Merkle.Tree(entries.stream().map(VoteEntry::leafHash).toList());
            tree = t;
        }
        return t;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TxVoteBatch b && chainId == b.chainId && validatorSetHeight == b.validatorSetHeight && voter.equals(b.voter)
                && signature.equals(b.signature) && entries.equals(b.entries);
    }

    @Override
    public int hashCode() {
        return signature.hashCode();
    }

    @Override
    public String toString() {
        return "TxVoteBatch[voter=" + voter + ", set height " + validatorSetHeight + ", " + entries.size() + " entries]";
    }

    /** Content identity (for deduplication): the signed hash. */
    public Hash id() {
        return Hashes.tagged(HashTag.VOTE, toBytes());
    }

    @Override
    public void encode(Writer w) {
        w.u8(VERSION).u32(chainId).u64(validatorSetHeight);
        voter.write(w);
        w.list(entries, Limits.MAX_VOTE_BATCH, (ww, e) -> e.write(ww));
        signature.write(w);
    }

    public static TxVoteBatch read(Reader r) {
        int version = r.u8();
        if (version != VERSION) throw new ProtocolException(Reason.UNKNOWN_VERSION, "vote version " + version);
        int chainId = r.u32InRange("chain id", 0, Integer.MAX_VALUE);
        long height = r.u63("validator-set height");
        PublicKey voter = PublicKey.read(r);
        List<VoteEntry> entries = r.list(Limits.MAX_VOTE_BATCH, VoteEntry::read);
        if (entries.isEmpty()) throw new ProtocolException(Reason.LENGTH_OUT_OF_RANGE, "empty vote batch");
        Set<Hash> seen = new HashSet<>();
        for (VoteEntry e : entries) {
            if (!seen.add(e.txid())) throw new ProtocolException(Reason.INVALID_VALUE, "txid voted twice in one batch");
        }
        return new TxVoteBatch(chainId, height, voter, entries, Signature.read(r));
    }

    public static TxVoteBatch decode(byte[] bytes) {
        return Reader.decodeExactly(bytes, Limits.MAX_SMALL_MESSAGE_BYTES, TxVoteBatch::read);
    }
}
