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
import org.timecoin.protocol.crypto.Merkle;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.crypto.Signature;
import org.timecoin.protocol.rules.ValidatorSet;

/**
 * Proof that a transaction is final: approvals of more than 2/3 of the voting weight of the validator set whose epoch
 * is {@code validatorSetHeight}. Each approval is a batch signature plus the Merkle branch from the (txid, APPROVE)
 * leaf to the signed root. Encoding: u32 chain id ‖ txid ‖ u64 validator-set height ‖ u32 n ‖ n × VoteProof.
 */
public record FinalityCertificate(int chainId, Hash txid, long validatorSetHeight, List<VoteProof> approvals) implements Encodable {

    /** voter key ‖ signature ‖ branch. */
    public record VoteProof(PublicKey voter, Signature signature, Merkle.Branch branch) {
        public void write(Writer w) {
            voter.write(w);
            signature.write(w);
            branch.write(w);
        }

        public static VoteProof read(Reader r) {
            return new VoteProof(PublicKey.read(r), Signature.read(r), Merkle.Branch.read(r));
        }
    }

    public FinalityCertificate {
        if (approvals.size() > Limits.MAX_VALIDATORS) throw new IllegalArgumentException("too many approvals");
        approvals = List.copyOf(approvals);
    }

    /** Verification failure reasons; null from {@link #verify} means valid. */
    public enum Failure implements org.timecoin.protocol.rules.ReasonCode { WRONG_CHAIN, WRONG_VALIDATOR_SET, UNKNOWN_VOTER, DUPLICATE_VOTER, BAD_SIGNATURE, NO_QUORUM }

    /**
     * Checks every approval against {@code set}, whose epoch must be the certificate's validator-set height: voters of the
     * set (or, while it is joint, of the set before), a quorum of it (and of the set before, while joint); empty when valid.
     */
    public Optional<Failure> verify(int expectedChainId, ValidatorSet set) {
        if (chainId != expectedChainId) return Optional.of(Failure.WRONG_CHAIN);
        if (set.epoch() != validatorSetHeight) return Optional.of(Failure.WRONG_VALIDATOR_SET);
        Hash leaf = new VoteEntry(txid, TxVerdict.APPROVE).leafHash();
        Set<PublicKey> seen = new HashSet<>();
        for (VoteProof p : approvals) {
            if (!set.mayVoteOnTransactions(p.voter())) return Optional.of(Failure.UNKNOWN_VOTER);
            if (!seen.add(p.voter())) return Optional.of(Failure.DUPLICATE_VOTER);
        }
        // quorum before signatures: a certificate that cannot count costs no verification
        if (!set.certifies(seen)) return Optional.of(Failure.NO_QUORUM);
        for (VoteProof p : approvals) {
            Hash digest = TxVoteBatch.signingHash(chainId, validatorSetHeight, p.voter(), p.branch().rootFrom(leaf));
            if (!Ed25519Keys.verifyRemembered(p.voter(), digest, p.signature())) return Optional.of(Failure.BAD_SIGNATURE);
        }
        return Optional.empty();
    }

    @Override
    public void encode(Writer w) {
        w.u32(chainId);
        txid.write(w);
        w.u64(validatorSetHeight);
        w.list(approvals, Limits.MAX_VALIDATORS, (ww, p) -> p.write(ww));
    }

    public static FinalityCertificate read(Reader r) {
        int chainId = r.u32InRange("chain id", 0, Integer.MAX_VALUE);
        Hash txid = Hash.read(r);
        long height = r.u63("validator-set height");
        return new FinalityCertificate(chainId, txid, height, r.list(Limits.MAX_VALIDATORS, VoteProof::read));
    }

    public static FinalityCertificate decode(byte[] bytes) {
        return Reader.decodeExactly(bytes, Limits.MAX_CONSENSUS_MESSAGE_BYTES, FinalityCertificate::read);
    }
}
