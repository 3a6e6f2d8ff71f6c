package org.timecoin.consensus.core;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.model.ConsensusMessage;
import org.timecoin.protocol.model.ConsensusMessage.Prepared;
import org.timecoin.protocol.model.ConsensusMessage.RoundChange;
import org.timecoin.protocol.model.SignedConsensusMessage;

/**
 * This validator's signing key, guarded: it never signs two different messages for one (height, round, type), also
 * across a restart (what it signed is persisted before it is sent, and restored from those records). That is what keeps
 * an honest validator from equivocating when it restarts in the middle of a round.
 */
final class SigningGuard {
    private record SignKey(long height, int round, int type) {
        static SignKey of(ConsensusMessage m) {
            return new SignKey(m.height(), m.round(), m.type());
        }
    }

    private final KeyPair self;
    private final Map<SignKey, SignedConsensusMessage> signed = new HashMap<>();
    private final Map<Long, Prepared> restoredPrepared = new HashMap<>();

    SigningGuard(KeyPair self) {
        this.self = self;
    }

    void restore(List<Action.PersistSigned> records) {
        for (Action.PersistSigned r : records) {
            signed.put(SignKey.of(r.message().message()), r.message());
            if (r.prepared() != null) restoredPrepared.merge(r.message().message().height(), r.prepared(), (a, b) -> a.round() >= b.round() ? a : b);
        }
    }

    /** At a new height: the prepared block restored for it (null: none); forgets what was signed below it. */
    Prepared startHeight(long height) {
        Prepared prepared = restoredPrepared.remove(height);
        restoredPrepared.keySet().removeIf(h -> h < height);
        signed.keySet().removeIf(k -> k.height() < height);
        return prepared;
    }

    /**
     * Signs, persists and broadcasts {@code m} — unless a different message was signed for the same (height, round,
     * type): then nothing is signed and null is returned (a RoundChange is the exception: the earlier one is sent again,
     * which is harmless). The same message again is re-broadcast as first signed.
     */
    SignedConsensusMessage sign(ConsensusMessage m, Prepared preparedForCommit, List<Action> out) {
        SignKey key = SignKey.of(m);
        SignedConsensusMessage earlier = signed.get(key);
        if (earlier != null) {
            if (!earlier.message().equals(m) && !(m instanceof RoundChange)) return null;
            out.add(new Action.Broadcast(earlier));
            return earlier;
        }
        SignedConsensusMessage s = SignedConsensusMessage.sign(m, self);
        signed.put(key, s);
        out.add(new Action.PersistSigned(s, preparedForCommit));
        out.add(new Action.Broadcast(s));
        return s;
    }
}
