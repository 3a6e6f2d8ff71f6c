package org.timecoin.consensus.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.HashTag;
import org.timecoin.protocol.crypto.Hashes;
import org.timecoin.protocol.model.ConsensusMessage;
import org.timecoin.protocol.model.SignedConsensusMessage;

/** One Byzantine validator's RoundChange cannot make a node check thousands of nested signatures. */
class MessageVerifierTest {
    static final int CHAIN = 3;
    static final Hash BLOCK = Hashes.tagged(HashTag.BLOCK, new byte[] {7});
    static final KeyPair BYZANTINE = Ed25519Keys.deterministic("verifier-test", "v", 0);

    static SignedConsensusMessage roundChange(List<SignedConsensusMessage> prepares, int preparedRound) {
        return SignedConsensusMessage.sign(new ConsensusMessage.RoundChange(CHAIN, 5, 2, BYZANTINE.publicKey(),
                new ConsensusMessage.Prepared(preparedRound, BLOCK, prepares)), BYZANTINE);
    }

    static List<SignedConsensusMessage> prepares(int n, int round, boolean forged) {
        List<SignedConsensusMessage> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            KeyPair k = Ed25519Keys.deterministic("verifier-test", "p", i);
            SignedConsensusMessage s = SignedConsensusMessage.sign(new ConsensusMessage.Prepare(CHAIN, 5, round, k.publicKey(), BLOCK), k);
            if (forged) s = new SignedConsensusMessage(s.message(), BYZANTINE.sign(BLOCK)); // a signature that does not verify
            out.add(s);
        }
        return out;
    }

    @Test
    void nestedMessagesAreBoundedAndCheckedForShapeBeforeAnySignature() {
        int bound = MessageVerifier.nestedBound(4);
        assertThat(bound).isEqualTo(8);
        assertThat(MessageVerifier.verifyDeep(roundChange(prepares(3, 1, false), 1), bound)).isTrue();
        assertThat(MessageVerifier.verifyDeep(roundChange(prepares(3, 1, true), 1), bound)).as("forged nested signatures").isFalse();
        // 5,000 forged Prepares: refused on their count, in far less time than 5,000 verifications (~0.3 s)
        SignedConsensusMessage flood = roundChange(prepares(5_000, 1, true), 1);
        long t0 = System.nanoTime();
        assertThat(MessageVerifier.verifyDeep(flood, bound)).isFalse();
        long micros = (System.nanoTime() - t0) / 1_000;
        System.out.printf("a RoundChange with 5,000 nested Prepares refused in %d µs (bound %d)%n", micros, bound);
        // a signer twice, a Prepare of another round, a prepared round not below the RoundChange's own
        List<SignedConsensusMessage> twice = new ArrayList<>(prepares(2, 1, false));
        twice.add(twice.get(0));
        assertThat(MessageVerifier.wellFormed(roundChange(twice, 1).message(), bound)).isFalse();
        assertThat(MessageVerifier.wellFormed(roundChange(prepares(3, 0, false), 1).message(), bound)).isFalse();
        assertThat(MessageVerifier.wellFormed(roundChange(prepares(3, 2, false), 2).message(), bound)).isFalse();
    }
}
