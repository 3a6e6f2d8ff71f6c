package org.timecoin.consensus.core;

import org.timecoin.protocol.model.ConsensusMessage;
import org.timecoin.protocol.model.SignedConsensusMessage;

/**
 * Signature checks for messages on their way into the core: the message's own signature and every nested one
 * (RoundChanges justifying a proposal, Prepares proving a prepared block). Stateless and thread-safe, so callers run it
 * in parallel off the core's thread; the core then checks membership and weights.
 */
public final class MessageVerifier {
    private MessageVerifier() {
    }

    public static boolean verifyDeep(SignedConsensusMessage m) {
        if (!m.signatureValid()) return false;
        if (m.message() instanceof ConsensusMessage.PrePrepare p) {
            for (SignedConsensusMessage j : p.justification()) if (!verifyDeep(j)) return false;
        } else if (m.message() instanceof ConsensusMessage.RoundChange rc && rc.prepared() != null) {
            for (SignedConsensusMessage s : rc.prepared().prepares()) if (!s.signatureValid()) return false;
        }
        return true;
    }
}
