package org.timecoin.protocol.model;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.timecoin.protocol.codec.Encodable;
import org.timecoin.protocol.codec.Reader;
import org.timecoin.protocol.codec.Writer;
import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.crypto.Signature;
import org.timecoin.protocol.rules.ValidatorSet;

/**
 * Proof that a block is final: the Commit signatures of more than 2/3 of the voting weight. Each seal is the
 * signature of a {@link ConsensusMessage.Commit} for (chain id, height, round, block hash), so the certificate
 * stores only signer and signature. Encoding: u32 chain id ‖ u64 height ‖ u32 round ‖ block hash ‖ u32 n ‖
 * n × (signer key ‖ signature).
 */
public record CommitCertificate(int chainId, long height, int round, Hash blockHash, List<Seal> seals) implements Encodable {

    public record Seal(PublicKey signer, Signature signature) {
    }

    public CommitCertificate {
        if (seals.size() > Limits.MAX_VALIDATORS) throw new IllegalArgumentException("too many seals");
        seals = List.copyOf(seals);
    }

    public enum Failure implements org.timecoin.protocol.rules.ReasonCode { WRONG_CHAIN, WRONG_BLOCK, UNKNOWN_SIGNER, DUPLICATE_SIGNER, BAD_SIGNATURE, NO_QUORUM }

    /** Checks the certificate for {@code block} against the validator set of its height; empty when valid. */
    public Optional<Failure> verify(int expectedChainId, Block block, ValidatorSet set) {
        if (chainId != expectedChainId || block.header().chainId() != expectedChainId) return Optional.of(Failure.WRONG_CHAIN);
        if (height != block.height() || !blockHash.equals(block.hash())) return Optional.of(Failure.WRONG_BLOCK);
        Set<PublicKey> seen = new HashSet<>();
        long weight = 0;
        for (Seal s : seals) {
            long w = set.votingWeight(s.signer());
            if (w == 0) return Optional.of(Failure.UNKNOWN_SIGNER);
            if (!seen.add(s.signer())) return Optional.of(Failure.DUPLICATE_SIGNER);
            ConsensusMessage.Commit commit = new ConsensusMessage.Commit(chainId, height, round, s.signer(), blockHash);
            if (!Ed25519Keys.verify(s.signer(), SignedConsensusMessage.signingHash(commit), s.signature())) return Optional.of(Failure.BAD_SIGNATURE);
            weight += w;
        }
        return set.isQuorum(weight) ? Optional.empty() : Optional.of(Failure.NO_QUORUM);
    }

    @Override
    public void encode(Writer w) {
        w.u32(chainId).u64(height).u32(round);
        blockHash.write(w);
        w.list(seals, Limits.MAX_VALIDATORS, (ww, s) -> {
            s.signer().write(ww);
            s.signature().write(ww);
        });
    }

    public static CommitCertificate read(Reader r) {
        int chainId = r.u32InRange("chain id", 0, Integer.MAX_VALUE);
        long height = r.u63("height");
        int round = r.u32InRange("round", 0, Integer.MAX_VALUE);
        Hash hash = Hash.read(r);
        return new CommitCertificate(chainId, height, round, hash,
                r.list(Limits.MAX_VALIDATORS, rr -> new Seal(PublicKey.read(rr), Signature.read(rr))));
    }

    public static CommitCertificate decode(byte[] bytes) {
        return Reader.decodeExactly(bytes, Limits.MAX_SMALL_MESSAGE_BYTES, CommitCertificate::read);
    }
}
