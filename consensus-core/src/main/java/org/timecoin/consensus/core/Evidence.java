package org.timecoin.consensus.core;

import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.model.SignedConsensusMessage;
import org.timecoin.protocol.model.TxVoteBatch;

/** Proof of equivocation: both signed messages are kept, so anyone can check it. */
public sealed interface Evidence {
    PublicKey offender();

    record ConflictingMessages(SignedConsensusMessage first, SignedConsensusMessage second) implements Evidence {
        public PublicKey offender() {
            return first.message().signer();
        }
    }

    record ConflictingVotes(Hash txid, TxVoteBatch first, TxVoteBatch second) implements Evidence {
        public PublicKey offender() {
            return first.voter();
        }
    }
}
