package org.timecoin.consensus.core;

import java.util.List;

import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.model.Block;
import org.timecoin.protocol.model.CommitCertificate;
import org.timecoin.protocol.model.FinalityCertificate;
import org.timecoin.protocol.model.SignedConsensusMessage;
import org.timecoin.protocol.model.TxVerdict;
import org.timecoin.protocol.model.TxVoteBatch;
import org.timecoin.protocol.rules.ValidatorSet;

/** What can happen to the consensus core. Adapters (Kafka, timers) and the simulator turn the world into these. */
public sealed interface Event {

    /**
     * A block (height, hash, timestamp) is applied by the ledger; {@code nextSet} validates height + 1. Starts the next
     * height. Also the first event after start-up (the chain tip the node restarts from).
     */
    record BlockApplied(long height, Hash hash, long timestampMillis, ValidatorSet nextSet) implements Event {
    }

    /** A consensus message from a peer (or our own, looped back), whose signatures — nested ones too — were verified. */
    record MessageVerified(SignedConsensusMessage message) implements Event {
    }

    /** A vote batch from a peer whose signature was verified. */
    record VotesVerified(TxVoteBatch batch) implements Event {
    }

    /** The local ledger's verdicts on transactions it validated (approve = its inputs are locked for it). */
    record LocalVerdicts(List<LocalVerdict> verdicts) implements Event {
    }

    record LocalVerdict(Hash txid, TxVerdict verdict) {
    }

    /** A timer scheduled by {@link Action.ScheduleTimer} expired. */
    record TimerFired(Timer timer) implements Event {
    }

    /** Reply to {@link Action.BuildProposal}: the block to propose and a finality certificate per non-reward transaction. */
    record ProposalBuilt(long height, int round, Block block, List<FinalityCertificate> certificates) implements Event {
    }

    /** Reply to {@link Action.CheckProposal}: whether the block is valid against the ledger (stateful checks). */
    record ProposalChecked(long height, int round, Hash blockHash, boolean valid) implements Event {
    }

    /** A finalized block fetched from a peer during sync (its certificate is checked by the core). */
    record BlockSynced(Block block, CommitCertificate certificate) implements Event {
    }
}
