package org.timecoin.consensus.core;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.model.ConsensusMessage;
import org.timecoin.protocol.model.ConsensusMessage.Prepare;
import org.timecoin.protocol.model.ConsensusMessage.PrePrepare;
import org.timecoin.protocol.model.ConsensusMessage.RoundChange;
import org.timecoin.protocol.model.SignedConsensusMessage;

/**
 * Signature checks for messages on their way into the core: the message's own signature and every nested one
 * (RoundChanges justifying a proposal, Prepares proving a prepared block). Cheap checks come first, so that one
 * Byzantine validator cannot make a node verify thousands of nested signatures: at most {@code maxNested} nested
 * messages per list (the caller passes a bound from the validator set), each of the outer message's chain and height,
 * of the round and block it must name, and from distinct signers. Stateless and thread-safe, so callers run it in
 * parallel off the core's thread; the core then checks membership and weights.
 */
public final class MessageVerifier {
    private MessageVerifier() {
    }

    /** The bound to pass for a set of {@code voters} voters (a joint epoch's two sets together): room for a set that grew. */
    public static int nestedBound(int voters) {
        return Math.max(8, 2 * voters);
    }

    public static boolean verifyDeep(SignedConsensusMessage m, int maxNested) {
        return wellFormed(m.message(), maxNested) && signaturesValid(m);
    }

    private static boolean signaturesValid(SignedConsensusMessage m) {
        if (!m.signatureValid()) return false;
        if (m.message() instanceof PrePrepare p) {
            for (SignedConsensusMessage j : p.justification()) if (!signaturesValid(j)) return false;
        } else if (m.message() instanceof RoundChange rc && rc.prepared() != null) {
            for (SignedConsensusMessage s : rc.prepared().prepares()) if (!s.signatureValid()) return false;
        }
        return true;
    }

    static boolean wellFormed(ConsensusMessage c, int maxNested) {
        if (c instanceof PrePrepare p) {
            if (!boundedAndDistinct(p.justification(), maxNested)) return false;
            for (SignedConsensusMessage j : p.justification()) {
                if (!(j.message() instanceof RoundChange rc) || rc.chainId() != p.chainId() || rc.height() != p.height() || rc.round() != p.round()
                        || !wellFormed(rc, maxNested)) return false;
            }
        } else if (c instanceof RoundChange rc && rc.prepared() != null) {
            ConsensusMessage.Prepared pr = rc.prepared();
            if (pr.round() >= rc.round() || !boundedAndDistinct(pr.prepares(), maxNested)) return false;
            for (SignedConsensusMessage s : pr.prepares()) {
                if (!(s.message() instanceof Prepare q) || q.chainId() != rc.chainId() || q.height() != rc.height() || q.round() != pr.round()
                        || !q.blockHash().equals(pr.blockHash())) return false;
            }
        }
        return true;
    }

    private static boolean boundedAndDistinct(List<SignedConsensusMessage> nested, int maxNested) {
        if (nested.size() > maxNested) return false;
        Set<PublicKey> signers = new HashSet<>();
        for (SignedConsensusMessage s : nested) if (!signers.add(s.message().signer())) return false;
        return true;
    }
}
