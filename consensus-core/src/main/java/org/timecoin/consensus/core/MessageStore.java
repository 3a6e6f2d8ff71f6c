package org.timecoin.consensus.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.model.ConsensusMessage;
import org.timecoin.protocol.model.SignedConsensusMessage;
import org.timecoin.protocol.rules.ValidatorSet;

/**
 * The one vote store of a height: for each (round, type) the first signed message of each validator. A second,
 * different message for the same key is equivocation: returned as evidence, never counted. Dropped whole when the
 * height is finalized.
 */
final class MessageStore {
    private record Key(int round, int type) {
    }

    private record Slot(Key key, PublicKey signer) {
    }

    private final Map<Key, Map<PublicKey, SignedConsensusMessage>> byKey = new HashMap<>();
    private final Set<Slot> reported = new HashSet<>();

    /** Adds a message; returns the earlier conflicting message if the signer equivocated, else null. */
    SignedConsensusMessage add(SignedConsensusMessage m) {
        ConsensusMessage c = m.message();
        Map<PublicKey, SignedConsensusMessage> perSigner = byKey.computeIfAbsent(new Key(c.round(), c.type()), k -> new LinkedHashMap<>());
        SignedConsensusMessage existing = perSigner.putIfAbsent(c.signer(), m);
        if (existing == null || existing.equals(m)) return null;
        return existing;
    }

    /**
     * True the first time a conflict of {@code m}'s signer in its (round, type) is seen: one piece of evidence per
     * validator and slot. Further pairs prove nothing new, and a validator signing without end must not fill memory.
     */
    boolean firstConflict(SignedConsensusMessage m) {
        return reported.add(new Slot(new Key(m.message().round(), m.message().type()), m.message().signer()));
    }

    boolean contains(SignedConsensusMessage m) {
        Map<PublicKey, SignedConsensusMessage> perSigner = byKey.get(new Key(m.message().round(), m.message().type()));
        return perSigner != null && m.equals(perSigner.get(m.message().signer()));
    }

    List<SignedConsensusMessage> messages(int round, int type) {
        Map<PublicKey, SignedConsensusMessage> perSigner = byKey.get(new Key(round, type));
        return perSigner == null ? List.of() : new ArrayList<>(perSigner.values());
    }

    /** Prepares or commits of a round for one block hash. */
    List<SignedConsensusMessage> forHash(int round, int type, Hash hash) {
        List<SignedConsensusMessage> out = new ArrayList<>();
        for (SignedConsensusMessage m : messages(round, type)) {
            Hash h = m.message() instanceof ConsensusMessage.Prepare p ? p.blockHash()
                    : m.message() instanceof ConsensusMessage.Commit c ? c.blockHash() : null;
            if (hash.equals(h)) out.add(m);
        }
        return out;
    }

    static long weight(List<SignedConsensusMessage> messages, ValidatorSet set) {
        long w = 0;
        for (SignedConsensusMessage m : messages) w += set.votingWeight(m.message().signer());
        return w;
    }

    /** Round-change senders by the highest round they asked for, above {@code round}. */
    Map<PublicKey, Integer> roundChangesAbove(int round) {
        Map<PublicKey, Integer> out = new HashMap<>();
        for (var e : byKey.entrySet()) {
            if (e.getKey().type() != ConsensusMessage.TYPE_ROUND_CHANGE || e.getKey().round() <= round) continue;
            for (PublicKey k : e.getValue().keySet()) out.merge(k, e.getKey().round(), Math::min);
        }
        return out;
    }
}
