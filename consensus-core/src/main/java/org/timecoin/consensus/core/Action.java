package org.timecoin.consensus.core;

import java.util.List;

import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.model.Block;
import org.timecoin.protocol.model.CommitCertificate;
import org.timecoin.protocol.model.ConsensusMessage;
import org.timecoin.protocol.model.FinalityCertificate;
import org.timecoin.protocol.model.SignedConsensusMessage;
import org.timecoin.protocol.model.TxVoteBatch;

/** What the core asks the world to do, in order. Adapters execute them; the core never does I/O itself. */
public sealed interface Action {

    /**
     * Record durably that this node signed {@code message} before it leaves the node (crash safety: after a restart the
     * core is given these records back and never signs anything conflicting). Always precedes its {@link Broadcast}.
     * With a Commit it carries the prepared certificate, so that the lock on a prepared block survives a restart.
     */
    record PersistSigned(SignedConsensusMessage message, ConsensusMessage.Prepared prepared) implements Action {
    }

    /** Messages for a later height arrived: this node is behind and should fetch finalized blocks from its peers. */
    record SyncNeeded(long fromHeight) implements Action {
    }

    /** Send to every validator (the core has already processed its own copy). */
    record Broadcast(SignedConsensusMessage message) implements Action {
    }

    record BroadcastVotes(TxVoteBatch batch) implements Action {
    }

    record ScheduleTimer(Timer timer, long delayMillis) implements Action {
    }

    /** This node leads (height, round) with no prepared block to carry over: build a block of finalized transactions. */
    record BuildProposal(long height, int round, Hash previousHash, long previousTimestampMillis) implements Action {
    }

    /** Check a proposal's stateful validity (finality certificates, transactions not yet in a block, reward split). */
    record CheckProposal(long height, int round, Block block, List<FinalityCertificate> certificates) implements Action {
    }

    record BlockFinalized(Block block, CommitCertificate certificate) implements Action {
    }

    record TxFinalized(FinalityCertificate certificate) implements Action {
    }

    /** Approval became impossible or the lock timed out: the ledger releases the inputs locked for it. */
    record TxReleased(Hash txid, ReleaseReason reason) implements Action {
    }

    enum ReleaseReason { REJECTED, LOCK_TIMEOUT }

    /** Two different signed messages from one validator for the same (height, round, type), or conflicting votes. */
    record EvidenceFound(Evidence evidence) implements Action {
    }
}
