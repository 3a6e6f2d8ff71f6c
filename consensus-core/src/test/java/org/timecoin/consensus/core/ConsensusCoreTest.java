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
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.Block;
import org.timecoin.protocol.model.BlockHeader;
import org.timecoin.protocol.model.CommitCertificate;
import org.timecoin.protocol.model.ConsensusMessage;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.SignedConsensusMessage;
import org.timecoin.protocol.model.Tier;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxOutput;
import org.timecoin.protocol.model.TxVerdict;
import org.timecoin.protocol.model.TxVoteBatch;
import org.timecoin.protocol.model.VoteEntry;
import org.timecoin.protocol.rules.RewardSplit;
import org.timecoin.protocol.rules.ValidatorSet;

/** Transitions of the core, one at a time, with four equal validators. */
class ConsensusCoreTest {
    static final int CHAIN = 3;
    /** The defaults with a 1 s base round timeout, the figure the timing assertions below are written in. */
    static final CoreConfig CONFIG = new CoreConfig(CoreConfig.BLOCK_INTERVAL_MILLIS, 1_000, CoreConfig.MAX_BACKOFF_EXPONENT, CoreConfig.TX_LOCK_TIMEOUT_MILLIS,
            CoreConfig.MAX_FUTURE_HEIGHTS, CoreConfig.MAX_FUTURE_ROUNDS, CoreConfig.MAX_BUFFERED_PER_SENDER, CoreConfig.MAX_BUFFERED_BYTES_PER_SENDER,
            CoreConfig.MAX_TRACKED_TRANSACTIONS, CoreConfig.MAX_EVIDENCE);
    static final Hash GENESIS = Hashes.tagged(HashTag.BLOCK, new byte[] {42});
    final List<KeyPair> keys = new ArrayList<>();
    final ValidatorSet set;

    ConsensusCoreTest() {
        List<ValidatorSet.Member> ms = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            KeyPair k = Ed25519Keys.deterministic("core-test", "v", i);
            keys.add(k);
            ms.add(new ValidatorSet.Member(k.publicKey(), Tier.BRONZE, k.keyHash(), OutPoint.NULL));
        }
        set = new ValidatorSet(1, ms);
    }

    KeyPair key(PublicKey pk) {
        return keys.stream().filter(k -> k.publicKey().equals(pk)).findFirst().orElseThrow();
    }

    KeyPair leader(int round) {
        return key(set.leader(GENESIS, round));
    }

    /** A validator that is not the leader of rounds 0 and 1. */
    KeyPair follower() {
        return keys.stream().filter(k -> !k.equals(leader(0)) && !k.equals(leader(1))).findFirst().orElseThrow();
    }

    ConsensusCore started(KeyPair self) {
        return started(self, set);
    }

    /** A validator's core at height 1, after the ledger announced GENESIS with validator set {@code s}. */
    static ConsensusCore started(KeyPair self, ValidatorSet s) {
        ConsensusCore core = new ConsensusCore(CHAIN, self, CONFIG);
        core.handle(new Event.BlockApplied(0, GENESIS, 1_000, s));
        return core;
    }

    Block block(KeyPair proposer, long timestamp) {
        List<Transaction> txs = List.of(Transaction.reward(1, RewardSplit.split(RewardSplit.blockReward(Amount.ZERO), set, proposer.publicKey())));
        return new Block(new BlockHeader(CHAIN, 1, GENESIS, Block.merkleRoot(txs), timestamp, 0, proposer.publicKey()), txs);
    }

    SignedConsensusMessage prePrepare(KeyPair leader, int round, Block b, List<SignedConsensusMessage> justification) {
        return SignedConsensusMessage.sign(new ConsensusMessage.PrePrepare(CHAIN, 1, round, leader.publicKey(), b, List.of(), justification), leader);
    }

    SignedConsensusMessage prepare(KeyPair k, int round, Hash h) {
        return SignedConsensusMessage.sign(new ConsensusMessage.Prepare(CHAIN, 1, round, k.publicKey(), h), k);
    }

    SignedConsensusMessage commit(KeyPair k, int round, Hash h) {
        return SignedConsensusMessage.sign(new ConsensusMessage.Commit(CHAIN, 1, round, k.publicKey(), h), k);
    }

    SignedConsensusMessage roundChange(KeyPair k, int round) {
        return SignedConsensusMessage.sign(new ConsensusMessage.RoundChange(CHAIN, 1, round, k.publicKey(), null), k);
    }

    static List<Action> msg(ConsensusCore core, SignedConsensusMessage m) {
        return core.handle(new Event.MessageVerified(m));
    }

    static <T> List<T> only(List<Action> actions, Class<T> type) {
        return actions.stream().filter(type::isInstance).map(type::cast).toList();
    }

    static List<SignedConsensusMessage> broadcastsOf(List<Action> actions, Class<? extends ConsensusMessage> type) {
        return only(actions, Action.Broadcast.class).stream().map(Action.Broadcast::message).filter(m -> type.isInstance(m.message())).toList();
    }

    @Test
    void onlyTheRoundZeroLeaderBuildsAProposalWhenTheIntervalIsOver() {
        ConsensusCore leader = new ConsensusCore(CHAIN, leader(0), CONFIG);
        List<Action> applied = leader.handle(new Event.BlockApplied(0, GENESIS, 1_000, set));
        assertThat(only(applied, Action.ScheduleTimer.class)).containsExactly(new Action.ScheduleTimer(Timer.proposalDue(1), 2_000));
        assertThat(only(applied, Action.BuildProposal.class)).isEmpty();
        List<Action> due = leader.handle(new Event.TimerFired(Timer.proposalDue(1)));
        assertThat(only(due, Action.BuildProposal.class)).containsExactly(new Action.BuildProposal(1, 0, GENESIS, 1_000));
        assertThat(only(due, Action.ScheduleTimer.class)).containsExactly(new Action.ScheduleTimer(Timer.roundTimeout(1, 0), 1_000));

        List<Action> followerDue = started(follower()).handle(new Event.TimerFired(Timer.proposalDue(1)));
        assertThat(only(followerDue, Action.BuildProposal.class)).isEmpty();
    }

    @Test
    void preparesOnlyAfterTheLedgerSaysTheProposalIsValid() {
        ConsensusCore core = started(follower());
        Block b = block(leader(0), 2_000);
        List<Action> got = msg(core, prePrepare(leader(0), 0, b, List.of()));
        assertThat(only(got, Action.CheckProposal.class)).hasSize(1);
        assertThat(broadcastsOf(got, ConsensusMessage.Prepare.class)).isEmpty();
        assertThat(broadcastsOf(core.handle(new Event.ProposalChecked(1, 0, b.hash(), false)), ConsensusMessage.Prepare.class)).isEmpty();
        List<Action> valid = core.handle(new Event.ProposalChecked(1, 0, b.hash(), true));
        List<SignedConsensusMessage> prepares = broadcastsOf(valid, ConsensusMessage.Prepare.class);
        assertThat(prepares).hasSize(1);
        assertThat(((ConsensusMessage.Prepare) prepares.get(0).message()).blockHash()).isEqualTo(b.hash());
        assertThat(only(valid, Action.PersistSigned.class)).hasSize(1); // persisted before it is sent
        assertThat(valid.indexOf(only(valid, Action.PersistSigned.class).get(0))).isLessThan(valid.indexOf(only(valid, Action.Broadcast.class).get(0)));
    }

    @Test
    void aProposalFromSomeoneElseThanTheLeaderIsIgnored() {
        ConsensusCore core = started(follower());
        KeyPair impostor = follower() == keys.get(0) ? keys.get(1) : keys.get(0);
        if (impostor.equals(leader(0))) impostor = keys.stream().filter(k -> !k.equals(leader(0)) && !k.equals(follower())).findFirst().orElseThrow();
        assertThat(msg(core, prePrepare(impostor, 0, block(impostor, 2_000), List.of()))).isEmpty();
    }

    @Test
    void aQuorumOfPreparesLeadsToCommitAndAQuorumOfCommitsToAFinalizedBlockWithAValidCertificate() {
        KeyPair self = follower();
        ConsensusCore core = started(self);
        Block b = block(leader(0), 2_000);
        msg(core, prePrepare(leader(0), 0, b, List.of()));
        core.handle(new Event.ProposalChecked(1, 0, b.hash(), true));
        List<KeyPair> others = keys.stream().filter(k -> !k.equals(self)).toList();
        assertThat(broadcastsOf(msg(core, prepare(others.get(0), 0, b.hash())), ConsensusMessage.Commit.class)).isEmpty();
        // the same Prepare again counts once
        assertThat(broadcastsOf(msg(core, prepare(others.get(0), 0, b.hash())), ConsensusMessage.Commit.class)).isEmpty();
        List<Action> third = msg(core, prepare(others.get(1), 0, b.hash()));
        assertThat(broadcastsOf(third, ConsensusMessage.Commit.class)).hasSize(1);
        Action.PersistSigned persisted = only(third, Action.PersistSigned.class).get(0);
        assertThat(persisted.prepared()).isNotNull();
        assertThat(persisted.prepared().blockHash()).isEqualTo(b.hash());
        assertThat(core.phase()).isEqualTo(ConsensusCore.Phase.PREPARED);

        assertThat(only(msg(core, commit(others.get(0), 0, b.hash())), Action.BlockFinalized.class)).isEmpty();
        List<Action> fin = msg(core, commit(others.get(1), 0, b.hash()));
        List<Action.BlockFinalized> finalized = only(fin, Action.BlockFinalized.class);
        assertThat(finalized).hasSize(1);
        assertThat(finalized.get(0).block()).isEqualTo(b);
        assertThat(finalized.get(0).certificate().verify(CHAIN, b, set)).isEmpty();
        assertThat(core.phase()).isEqualTo(ConsensusCore.Phase.FINALIZED);
    }

    @Test
    void twoDifferentPreparesFromOneValidatorAreEvidenceAndCountOnce() {
        ConsensusCore core = started(follower());
        KeyPair other = keys.stream().filter(k -> !k.equals(follower())).findFirst().orElseThrow();
        Hash a = Hashes.tagged(HashTag.BLOCK, new byte[] {1});
        Hash b = Hashes.tagged(HashTag.BLOCK, new byte[] {2});
        assertThat(msg(core, prepare(other, 0, a))).isEmpty();
        List<Action> second = msg(core, prepare(other, 0, b));
        List<Action.EvidenceFound> evidence = only(second, Action.EvidenceFound.class);
        assertThat(evidence).hasSize(1);
        assertThat(evidence.get(0).evidence().offender()).isEqualTo(other.publicKey());
        assertThat(core.evidence()).hasSize(1);
        // a third different Prepare for the slot: refused, and no second piece of evidence (one per validator and slot)
        assertThat(msg(core, prepare(other, 0, Hashes.tagged(HashTag.BLOCK, new byte[] {3})))).isEmpty();
        assertThat(core.evidence()).hasSize(1);
    }

    @Test
    void roundTimeoutBroadcastsARoundChangeAndAStaleTimeoutDoesNothing() {
        ConsensusCore core = started(follower());
        core.handle(new Event.TimerFired(Timer.proposalDue(1)));
        List<Action> timeout = core.handle(new Event.TimerFired(Timer.roundTimeout(1, 0)));
        assertThat(broadcastsOf(timeout, ConsensusMessage.RoundChange.class)).hasSize(1);
        assertThat(only(timeout, Action.ScheduleTimer.class)).contains(new Action.ScheduleTimer(Timer.roundTimeout(1, 1), 2_000));
        assertThat(core.round()).isEqualTo(1);
        assertThat(core.handle(new Event.TimerFired(Timer.roundTimeout(1, 0)))).isEmpty();
    }

    @Test
    void repeatedRoundChangesFromOnePeerDoNotChangeTheRound() {
        ConsensusCore core = started(follower());
        KeyPair other = keys.stream().filter(k -> !k.equals(follower())).findFirst().orElseThrow();
        msg(core, roundChange(other, 1));
        msg(core, roundChange(other, 1));
        msg(core, roundChange(other, 2));
        assertThat(core.round()).isZero();
    }

    @Test
    void roundChangesFromMoreThanTheFaultyWeightMoveToTheLowestRoundAsked() {
        ConsensusCore core = started(follower());
        List<KeyPair> others = keys.stream().filter(k -> !k.equals(follower())).toList();
        msg(core, roundChange(others.get(0), 3));
        List<Action> second = msg(core, roundChange(others.get(1), 2));
        assertThat(core.round()).isEqualTo(2);
        assertThat(broadcastsOf(second, ConsensusMessage.RoundChange.class)).extracting(m -> m.message().round()).containsExactly(2);
    }

    /**
     * Round 1's RoundChanges of two validators other than {@code newLeader} (with its own, a quorum), each carrying the
     * certificate that the three others prepared {@code b} in round 0; returns what the core did with them.
     */
    List<Action> roundChangesSayingPreparedInRoundZero(ConsensusCore core, KeyPair newLeader, Block b) {
        List<KeyPair> others = keys.stream().filter(k -> !k.equals(newLeader)).toList();
        ConsensusMessage.Prepared certificate = new ConsensusMessage.Prepared(0, b.hash(), others.stream().map(k -> prepare(k, 0, b.hash())).toList());
        List<Action> actions = new ArrayList<>();
        for (KeyPair k : others.subList(0, 2)) {
            actions.addAll(msg(core, SignedConsensusMessage.sign(new ConsensusMessage.RoundChange(CHAIN, 1, 1, k.publicKey(), certificate), k)));
        }
        return actions;
    }

    @Test
    void aLeaderThatGotAProposalOnlyAfterItsRoundProposesItAgainWhenOthersPreparedIt() {
        KeyPair newLeader = leader(1);
        ConsensusCore core = started(newLeader);
        core.handle(new Event.TimerFired(Timer.roundTimeout(1, 0))); // round 0 timed out here before its proposal came
        assertThat(core.round()).isEqualTo(1);
        Block b = block(leader(0), 2_000);
        assertThat(msg(core, prePrepare(leader(0), 0, b, List.of()))).isEmpty(); // late: no check, no Prepare
        // the others got it in time, prepared it, and say so in their RoundChanges for round 1
        List<Action> actions = roundChangesSayingPreparedInRoundZero(core, newLeader, b);
        List<SignedConsensusMessage> proposals = broadcastsOf(actions, ConsensusMessage.PrePrepare.class);
        assertThat(proposals).hasSize(1);
        ConsensusMessage.PrePrepare again = (ConsensusMessage.PrePrepare) proposals.get(0).message();
        assertThat(again.round()).isEqualTo(1);
        assertThat(again.block().hash()).isEqualTo(b.hash());
    }

    @Test
    void cannotRoundChangeToRoundZeroOrBackwards() {
        ConsensusCore core = started(follower());
        core.handle(new Event.TimerFired(Timer.proposalDue(1)));
        core.handle(new Event.TimerFired(Timer.roundTimeout(1, 0)));
        core.handle(new Event.TimerFired(Timer.roundTimeout(1, 1)));
        assertThat(core.round()).isEqualTo(2);
        for (KeyPair k : keys) msg(core, roundChange(k, 1));
        assertThat(core.round()).isEqualTo(2);
    }

    @Test
    void theNewLeaderProposesWithAQuorumOfRoundChangesAsJustification() {
        KeyPair newLeader = leader(1);
        ConsensusCore core = started(newLeader);
        List<KeyPair> others = keys.stream().filter(k -> !k.equals(newLeader)).toList();
        msg(core, roundChange(others.get(0), 1));
        List<Action> moved = msg(core, roundChange(others.get(1), 1)); // f+1: moves to round 1 and sends its own
        assertThat(core.round()).isEqualTo(1);
        // own RoundChange + two others = quorum: build a block for round 1
        assertThat(only(moved, Action.BuildProposal.class)).containsExactly(new Action.BuildProposal(1, 1, GENESIS, 1_000));
        Block b = block(newLeader, 3_000);
        List<Action> built = core.handle(new Event.ProposalBuilt(1, 1, b, List.of()));
        List<SignedConsensusMessage> pp = broadcastsOf(built, ConsensusMessage.PrePrepare.class);
        assertThat(pp).hasSize(1);
        assertThat(((ConsensusMessage.PrePrepare) pp.get(0).message()).justification()).hasSize(3);

        // a follower accepts it (and jumps to round 1) because it is justified
        ConsensusCore follower = started(follower());
        assertThat(only(msg(follower, pp.get(0)), Action.CheckProposal.class)).hasSize(1);
        assertThat(follower.round()).isEqualTo(1);
        // the same proposal without justification is refused
        ConsensusCore another = started(follower());
        assertThat(msg(another, prePrepare(newLeader, 1, b, List.of()))).isEmpty();
    }

    @Test
    void theNewLeaderAsksForItsBlockWhenItsRoundBeginsAndProposesItWhenTheRoundChangesAreThere() {
        KeyPair newLeader = leader(1);
        ConsensusCore core = started(newLeader);
        List<Action> timedOut = core.handle(new Event.TimerFired(Timer.roundTimeout(1, 0))); // only its own RoundChange so far
        assertThat(core.round()).isEqualTo(1);
        assertThat(only(timedOut, Action.BuildProposal.class)).containsExactly(new Action.BuildProposal(1, 1, GENESIS, 1_000));
        Block b = block(newLeader, 3_000);
        assertThat(core.handle(new Event.ProposalBuilt(1, 1, b, List.of()))).isEmpty(); // no quorum of RoundChanges yet
        List<KeyPair> others = keys.stream().filter(k -> !k.equals(newLeader)).toList();
        msg(core, roundChange(others.get(0), 1));
        List<Action> quorum = msg(core, roundChange(others.get(1), 1));
        assertThat(only(quorum, Action.BuildProposal.class)).isEmpty(); // built already
        List<SignedConsensusMessage> pp = broadcastsOf(quorum, ConsensusMessage.PrePrepare.class);
        assertThat(pp).hasSize(1);
        assertThat(((ConsensusMessage.PrePrepare) pp.get(0).message()).block().hash()).isEqualTo(b.hash());
        assertThat(((ConsensusMessage.PrePrepare) pp.get(0).message()).justification()).hasSize(3);
    }

    @Test
    void aBuildThatCameEarlyGivesWayToABlockTheRoundChangesSayWasPrepared() {
        KeyPair newLeader = leader(1);
        ConsensusCore core = started(newLeader);
        Block prepared = block(leader(0), 2_000);
        msg(core, prePrepare(leader(0), 0, prepared, List.of())); // in time: it has the block
        core.handle(new Event.TimerFired(Timer.roundTimeout(1, 0))); // but saw no quorum of Prepares
        core.handle(new Event.ProposalBuilt(1, 1, block(newLeader, 3_000), List.of()));
        List<Action> actions = roundChangesSayingPreparedInRoundZero(core, newLeader, prepared);
        List<SignedConsensusMessage> pp = broadcastsOf(actions, ConsensusMessage.PrePrepare.class);
        assertThat(pp).hasSize(1);
        assertThat(((ConsensusMessage.PrePrepare) pp.get(0).message()).block().hash()).isEqualTo(prepared.hash());
    }

    @Test
    void afterARestartItNeverSignsAConflictingPrepare() {
        KeyPair self = follower();
        ConsensusCore before = started(self);
        Block a = block(leader(0), 2_000);
        msg(before, prePrepare(leader(0), 0, a, List.of()));
        List<Action.PersistSigned> persisted = only(before.handle(new Event.ProposalChecked(1, 0, a.hash(), true)), Action.PersistSigned.class);
        assertThat(persisted).hasSize(1);

        ConsensusCore after = new ConsensusCore(CHAIN, self, CONFIG);
        after.restore(persisted);
        after.handle(new Event.BlockApplied(0, GENESIS, 1_000, set));
        Block b = block(leader(0), 2_001); // an equivocating leader's second proposal
        msg(after, prePrepare(leader(0), 0, b, List.of()));
        List<Action> checked = after.handle(new Event.ProposalChecked(1, 0, b.hash(), true));
        assertThat(only(checked, Action.PersistSigned.class)).isEmpty();
        assertThat(broadcastsOf(checked, ConsensusMessage.Prepare.class)).isEmpty();
    }

    @Test
    void messagesFromNonValidatorsAreIgnored() {
        ConsensusCore core = started(follower());
        KeyPair outsider = Ed25519Keys.deterministic("core-test", "outsider", 0);
        assertThat(msg(core, roundChange(outsider, 1))).isEmpty();
        assertThat(msg(core, prepare(outsider, 0, GENESIS))).isEmpty();
    }

    @Test
    void messagesForALaterHeightAreBufferedAndAskForSync() {
        ConsensusCore core = started(follower());
        KeyPair other = keys.stream().filter(k -> !k.equals(follower())).findFirst().orElseThrow();
        SignedConsensusMessage later = SignedConsensusMessage.sign(new ConsensusMessage.Prepare(CHAIN, 3, 0, other.publicKey(), GENESIS), other);
        assertThat(only(msg(core, later), Action.SyncNeeded.class)).containsExactly(new Action.SyncNeeded(1));
        assertThat(only(msg(core, later), Action.SyncNeeded.class)).isEmpty(); // asked once for what it knows
    }

    // ---- transaction finality ----

    static final Hash TX = Hashes.tagged(HashTag.TX, new byte[] {7});

    TxVoteBatch vote(KeyPair k, TxVerdict v) {
        return TxVoteBatch.sign(CHAIN, set.epoch(), k, List.of(new VoteEntry(TX, v)));
    }

    @Test
    void localVerdictsAreSignedAsOneBatchAndLockTimersStart() {
        ConsensusCore core = started(keys.get(0));
        Hash other = Hashes.tagged(HashTag.TX, new byte[] {8});
        List<Action> out = core.handle(new Event.LocalVerdicts(List.of(new Event.LocalVerdict(TX, TxVerdict.APPROVE),
                new Event.LocalVerdict(other, TxVerdict.REJECT))));
        List<Action.BroadcastVotes> votes = only(out, Action.BroadcastVotes.class);
        assertThat(votes).hasSize(1);
        assertThat(votes.get(0).batch().entries()).hasSize(2);
        assertThat(votes.get(0).batch().signatureValid()).isTrue();
        assertThat(only(out, Action.ScheduleTimer.class)).containsExactly(new Action.ScheduleTimer(Timer.txLock(TX), 30_000));
    }

    @Test
    void approvalsOfMoreThanTwoThirdsFinalizeWithAVerifiableCertificate() {
        ConsensusCore core = started(keys.get(0));
        core.handle(new Event.LocalVerdicts(List.of(new Event.LocalVerdict(TX, TxVerdict.APPROVE))));
        assertThat(only(core.handle(new Event.VotesVerified(vote(keys.get(1), TxVerdict.APPROVE))), Action.TxFinalized.class)).isEmpty();
        assertThat(only(core.handle(new Event.VotesVerified(vote(keys.get(1), TxVerdict.APPROVE))), Action.TxFinalized.class)).isEmpty();
        List<Action.TxFinalized> fin = only(core.handle(new Event.VotesVerified(vote(keys.get(2), TxVerdict.APPROVE))), Action.TxFinalized.class);
        assertThat(fin).hasSize(1);
        assertThat(fin.get(0).certificate().approvals()).hasSize(3);
        assertThat(fin.get(0).certificate().verify(CHAIN, set)).isEmpty();
        // late votes for a final transaction change nothing
        assertThat(core.handle(new Event.VotesVerified(vote(keys.get(3), TxVerdict.APPROVE)))).isEmpty();
    }

    @Test
    void aNewEpochGetsThisNodesStandingApprovalsSignedAgainSoVotesSplitByTheBoundaryMeet() {
        ConsensusCore core = started(keys.get(0));
        core.handle(new Event.LocalVerdicts(List.of(new Event.LocalVerdict(TX, TxVerdict.APPROVE))));
        core.handle(new Event.VotesVerified(vote(keys.get(1), TxVerdict.APPROVE))); // 2 of 4 under the old epoch: not final
        ValidatorSet next = new ValidatorSet(2, 2, set.members());
        List<Action> atBoundary = core.handle(new Event.BlockApplied(1, Hashes.tagged(HashTag.BLOCK, new byte[] {9}), 1_001, next));
        List<Action.BroadcastVotes> again = only(atBoundary, Action.BroadcastVotes.class);
        assertThat(again).hasSize(1);
        assertThat(again.get(0).batch().validatorSetHeight()).isEqualTo(2);
        assertThat(again.get(0).batch().entries()).containsExactly(new VoteEntry(TX, TxVerdict.APPROVE));
        // the others vote under the new epoch (the one that voted before the boundary too): their tally meets this node's
        assertThat(only(core.handle(new Event.VotesVerified(TxVoteBatch.sign(CHAIN, 2, keys.get(1), List.of(new VoteEntry(TX, TxVerdict.APPROVE))))),
                Action.TxFinalized.class)).isEmpty();
        List<Action.TxFinalized> fin = only(core.handle(new Event.VotesVerified(TxVoteBatch.sign(CHAIN, 2, keys.get(2),
                List.of(new VoteEntry(TX, TxVerdict.APPROVE))))), Action.TxFinalized.class);
        assertThat(fin).hasSize(1);
        assertThat(fin.get(0).certificate().validatorSetHeight()).isEqualTo(2);
        assertThat(fin.get(0).certificate().verify(CHAIN, next)).isEmpty();
    }

    @Test
    void rejectionsThatMakeApprovalImpossibleReleaseTheLock() {
        ConsensusCore core = started(keys.get(0));
        core.handle(new Event.LocalVerdicts(List.of(new Event.LocalVerdict(TX, TxVerdict.APPROVE))));
        assertThat(only(core.handle(new Event.VotesVerified(vote(keys.get(1), TxVerdict.REJECT))), Action.TxReleased.class)).isEmpty();
        // 2 of 4 rejecting leave room for a certificate elsewhere if one of them lies (f = 1): the lock stays
        assertThat(only(core.handle(new Event.VotesVerified(vote(keys.get(2), TxVerdict.REJECT))), Action.TxReleased.class)).isEmpty();
        assertThat(only(core.handle(new Event.VotesVerified(vote(keys.get(3), TxVerdict.REJECT))), Action.TxReleased.class))
                .containsExactly(new Action.TxReleased(TX, Action.ReleaseReason.REJECTED));
    }

    @Test
    void aLockThatTimesOutIsReleasedAndAChangedVoteIsEvidence() {
        ConsensusCore core = started(keys.get(0));
        core.handle(new Event.LocalVerdicts(List.of(new Event.LocalVerdict(TX, TxVerdict.APPROVE))));
        core.handle(new Event.VotesVerified(vote(keys.get(1), TxVerdict.APPROVE)));
        List<Action> flip = core.handle(new Event.VotesVerified(vote(keys.get(1), TxVerdict.REJECT)));
        assertThat(only(flip, Action.EvidenceFound.class)).hasSize(1);
        assertThat(only(core.handle(new Event.VotesVerified(vote(keys.get(1), TxVerdict.REJECT))), Action.EvidenceFound.class))
                .as("one piece of evidence per voter and transaction").isEmpty();
        assertThat(core.handle(new Event.TimerFired(Timer.txLock(TX)))).containsExactly(new Action.TxReleased(TX, Action.ReleaseReason.LOCK_TIMEOUT));
    }

    /** Drains the queue through the core, one event at a time as the service's thread does; the actions in order. */
    static List<Action> drain(EventQueue inbox, ConsensusCore core) {
        List<Action> out = new ArrayList<>();
        for (EventQueue.Queued q = inbox.poll(); q != null; q = inbox.poll()) out.addAll(core.handle(q.event()));
        return out;
    }

    @Test
    void aProposalQueuedBehindVoteBatchesIsHandledFirstAndALockTimerStaysBehindTheVotesBeforeIt() {
        ConsensusCore core = started(follower());
        core.handle(new Event.LocalVerdicts(List.of(new Event.LocalVerdict(TX, TxVerdict.APPROVE))));
        EventQueue inbox = new EventQueue();
        List<KeyPair> voters = keys.stream().filter(k -> !k.equals(follower())).toList();
        inbox.add(new Event.VotesVerified(vote(voters.get(0), TxVerdict.APPROVE)), 1);
        inbox.add(new Event.VotesVerified(vote(voters.get(1), TxVerdict.APPROVE)), 2);
        // the lock's timer fires while the quorum's votes still wait: they were queued first, so they count first
        inbox.add(new Event.TimerFired(Timer.txLock(TX)), 3);
        Block b = block(leader(0), 2_000);
        inbox.add(new Event.MessageVerified(prePrepare(leader(0), 0, b, List.of())), 4);
        assertThat(inbox.size()).isEqualTo(4);

        List<Action> out = drain(inbox, core);
        assertThat(out.get(0)).isInstanceOf(Action.CheckProposal.class);
        assertThat(only(out, Action.TxFinalized.class)).hasSize(1);
        assertThat(only(out, Action.TxReleased.class)).isEmpty();
        assertThat(out.indexOf(only(out, Action.CheckProposal.class).get(0))).isLessThan(out.indexOf(only(out, Action.TxFinalized.class).get(0)));
        assertThat(inbox.size()).isZero();
    }

    @Test
    void everyKindOfEventHasItsLane() {
        Hash h = Hashes.tagged(HashTag.BLOCK, new byte[] {1});
        assertThat(EventQueue.laneOf(new Event.VotesVerified(vote(keys.get(1), TxVerdict.APPROVE)))).isEqualTo(EventQueue.Lane.TX);
        assertThat(EventQueue.laneOf(new Event.LocalVerdicts(List.of()))).isEqualTo(EventQueue.Lane.TX);
        assertThat(EventQueue.laneOf(new Event.TimerFired(Timer.txLock(TX)))).isEqualTo(EventQueue.Lane.TX);
        assertThat(EventQueue.laneOf(new Event.TimerFired(Timer.roundTimeout(1, 0)))).isEqualTo(EventQueue.Lane.BLOCK);
        assertThat(EventQueue.laneOf(new Event.TimerFired(Timer.proposalDue(1)))).isEqualTo(EventQueue.Lane.BLOCK);
        assertThat(EventQueue.laneOf(new Event.BlockApplied(0, h, 1, set))).isEqualTo(EventQueue.Lane.BLOCK);
        assertThat(EventQueue.laneOf(new Event.ProposalChecked(1, 0, h, true))).isEqualTo(EventQueue.Lane.BLOCK);
        assertThat(EventQueue.laneOf(new Event.ProposalBuilt(1, 0, block(leader(0), 2_000), List.of()))).isEqualTo(EventQueue.Lane.BLOCK);
        assertThat(EventQueue.laneOf(new Event.MessageVerified(roundChange(keys.get(1), 1)))).isEqualTo(EventQueue.Lane.BLOCK);
    }

    @Test
    void votesOfOutsidersAreNotCounted() {
        ConsensusCore core = started(keys.get(0));
        core.handle(new Event.LocalVerdicts(List.of(new Event.LocalVerdict(TX, TxVerdict.APPROVE))));
        core.handle(new Event.VotesVerified(vote(keys.get(1), TxVerdict.APPROVE)));
        for (int i = 0; i < 3; i++) {
            KeyPair outsider = Ed25519Keys.deterministic("core-test", "outsider", i);
            assertThat(core.handle(new Event.VotesVerified(vote(outsider, TxVerdict.APPROVE)))).isEmpty();
        }
    }

    @Test
    void oneValidatorCannotCrowdOutOtherTalliesWithMadeUpTransactions() {
        // room for 8 open tallies among 4 voters: each voter may start at most 2
        CoreConfig small = new CoreConfig(2_000, 1_000, 6, 30_000, 2, 10, 64, CoreConfig.MAX_BUFFERED_BYTES_PER_SENDER, 8, 100);
        ConsensusCore core = new ConsensusCore(CHAIN, keys.get(0), small);
        core.handle(new Event.BlockApplied(0, GENESIS, 1_000, set));
        for (int i = 0; i < 50; i++) {
            Hash junk = Hashes.tagged(HashTag.TX, new byte[] {(byte) i, 77});
            core.handle(new Event.VotesVerified(TxVoteBatch.sign(CHAIN, set.epoch(), keys.get(3), List.of(new VoteEntry(junk, TxVerdict.APPROVE)))));
        }
        assertThat(core.openTransactionTallies()).isEqualTo(2);
        // honest validators still get their transaction final
        core.handle(new Event.LocalVerdicts(List.of(new Event.LocalVerdict(TX, TxVerdict.APPROVE))));
        core.handle(new Event.VotesVerified(vote(keys.get(1), TxVerdict.APPROVE)));
        assertThat(only(core.handle(new Event.VotesVerified(vote(keys.get(2), TxVerdict.APPROVE))), Action.TxFinalized.class)).hasSize(1);
    }

    @Test
    void oneValidatorsMessagesForLaterHeightsAreBoundedInBytesNotOnlyInCount() {
        SignedConsensusMessage sample = SignedConsensusMessage.sign(new ConsensusMessage.Prepare(CHAIN, 2, 0, keys.get(3).publicKey(), GENESIS), keys.get(3));
        long size = sample.toBytes().length;
        // room for 64 messages per sender by count, but only 3 by bytes
        CoreConfig small = new CoreConfig(2_000, 1_000, 6, 30_000, 2, 10, 64, 3 * size, 200_000, 100);
        ConsensusCore core = new ConsensusCore(CHAIN, keys.get(0), small);
        core.handle(new Event.BlockApplied(0, GENESIS, 1_000, set));
        for (int r = 0; r < 10; r++) {
            core.handle(new Event.MessageVerified(SignedConsensusMessage.sign(new ConsensusMessage.Prepare(CHAIN, 2, r, keys.get(3).publicKey(), GENESIS), keys.get(3))));
        }
        assertThat(core.bufferedFutureMessages()).isEqualTo(3);
        // another validator still gets its messages held
        core.handle(new Event.MessageVerified(SignedConsensusMessage.sign(new ConsensusMessage.Prepare(CHAIN, 2, 0, keys.get(1).publicKey(), GENESIS), keys.get(1))));
        assertThat(core.bufferedFutureMessages()).isEqualTo(4);
    }

    /** A Byzantine validator floods messages for the next heights: what the core holds of it stays within its per-sender bounds. Prints the figure. */
    @Test
    void aFloodOfOneValidatorsMessagesForLaterHeightsHoldsAtMostItsBound() {
        CoreConfig config = CONFIG;
        ConsensusCore core = new ConsensusCore(CHAIN, keys.get(0), config);
        core.handle(new Event.BlockApplied(0, GENESIS, 1_000, set));
        List<SignedConsensusMessage> flood = new ArrayList<>();
        for (long h = 2; h <= 1 + config.maxFutureHeights(); h++) {
            for (int r = 0; r < 5_000; r++) flood.add(SignedConsensusMessage.sign(new ConsensusMessage.Prepare(CHAIN, h, r, keys.get(3).publicKey(), GENESIS), keys.get(3)));
        }
        int sent = flood.size();
        long t0 = System.nanoTime();
        for (SignedConsensusMessage m : flood) core.handle(new Event.MessageVerified(m));
        long micros = (System.nanoTime() - t0) / 1_000;
        assertThat(core.bufferedFutureMessages()).isEqualTo(config.maxBufferedPerSender());
        assertThat(core.bufferedFutureBytes()).isPositive().isLessThanOrEqualTo(config.maxBufferedBytesPerSender());
        System.out.printf("CORE future-height flood: %,d Prepares from one validator, %d held (%,d bytes; bounds %d messages, %,d bytes), %.2f µs each%n", sent, core.bufferedFutureMessages(), core.bufferedFutureBytes(), config.maxBufferedPerSender(),
                config.maxBufferedBytesPerSender(), micros / (double) sent);
    }

    // ---- catch-up ----

    /** The same four validators, each with a collateral output (spending one deregisters that validator). */
    ValidatorSet withCollateral() {
        List<ValidatorSet.Member> ms = new ArrayList<>();
        for (int i = 0; i < 4; i++) ms.add(new ValidatorSet.Member(keys.get(i).publicKey(), Tier.BRONZE, keys.get(i).keyHash(), collateral(i)));
        return new ValidatorSet(1, ms);
    }

    static OutPoint collateral(int i) {
        return new OutPoint(Hashes.tagged(HashTag.TX, new byte[] {9, (byte) i}), 0);
    }

    /** Blocks 1..n on GENESIS as a syncing node receives them, each sealed by three of the four; {@code extra} goes into block {@code extraAt}. */
    List<Event.BlockSynced> syncedChain(ValidatorSet s, int n, int extraAt, Transaction extra) {
        List<Event.BlockSynced> out = new ArrayList<>();
        Hash previous = GENESIS;
        for (int h = 1; h <= n; h++) {
            out.add(sealed(s, h, previous, 0, h == extraAt ? extra : null));
            previous = out.get(out.size() - 1).block().hash();
        }
        return out;
    }

    /** Block {@code h} on {@code previous}, finalized in {@code round}: sealed by three of the four. */
    Event.BlockSynced sealed(ValidatorSet s, long h, Hash previous, int round, Transaction extra) {
        List<Transaction> txs = new ArrayList<>(List.of(Transaction.reward(h, RewardSplit.split(RewardSplit.blockReward(Amount.ZERO), s, keys.get(0).publicKey()))));
        if (extra != null) txs.add(extra);
        Block b = new Block(new BlockHeader(CHAIN, h, previous, Block.merkleRoot(txs), 1_000 + h, round, keys.get(0).publicKey()), txs);
        List<CommitCertificate.Seal> seals = new ArrayList<>();
        for (KeyPair k : keys.subList(0, 3)) {
            seals.add(new CommitCertificate.Seal(k.publicKey(), SignedConsensusMessage.sign(new ConsensusMessage.Commit(CHAIN, h, round, k.publicKey(), b.hash()), k).signature()));
        }
        return new Event.BlockSynced(b, new CommitCertificate(CHAIN, h, round, b.hash(), seals));
    }

    @Test
    void aHeightWhoseRoundsTimedOutBeforeTheirWorkCameStartsTheNextWithTwiceTheTimeoutAndQuickHeightsStepBackDown() {
        ConsensusCore core = started(follower());
        // per height: the round its block was final in, whether a round was left before its work came (here: a valid
        // check of round 0 that came in round 1), and the next height's first round timeout (base 1 s, at most 8×)
        int[] finalizedInRound = {2, 1, 5, 1, 1, 0, 0, 0, 1, 0};
        boolean[] late = {true, true, true, true, false, false, false, false, false, false};
        long[] nextHeightsFirstTimeout = {2_000, 4_000, 8_000, 8_000, 8_000, 4_000, 2_000, 1_000, 1_000, 1_000};
        Hash previous = GENESIS;
        for (int i = 0; i < finalizedInRound.length; i++) {
            long h = i + 1;
            if (finalizedInRound[i] > 0) {
                List<Action> roundChange = core.handle(new Event.TimerFired(Timer.roundTimeout(h, 0)));
                if (h == 3) { // round 1 doubles the height's starting timeout (4 s)
                    assertThat(only(roundChange, Action.ScheduleTimer.class)).contains(new Action.ScheduleTimer(Timer.roundTimeout(3, 1), 8_000));
                }
                if (late[i]) core.handle(new Event.ProposalChecked(h, 0, Hashes.tagged(HashTag.BLOCK, new byte[] {(byte) h}), true));
            }
            Event.BlockSynced b = sealed(set, h, previous, finalizedInRound[i], null);
            assertThat(finalizedHeights(core.handle(b))).containsExactly(h);
            core.handle(new Event.BlockApplied(h, b.block().hash(), b.block().header().timestampMillis(), set));
            List<Action> start = core.handle(new Event.TimerFired(Timer.proposalDue(h + 1)));
            assertThat(only(start, Action.ScheduleTimer.class)).as("height %d", h + 1)
                    .contains(new Action.ScheduleTimer(Timer.roundTimeout(h + 1, 0), nextHeightsFirstTimeout[i]));
            previous = b.block().hash();
        }
    }

    @Test
    void aProposalThatComesAfterItsRoundWasLeftIsASignOfLoadButOneAlreadySeenIsNot() {
        ConsensusCore core = started(follower());
        Block b = block(leader(0), 2_000);
        SignedConsensusMessage proposal = prePrepare(leader(0), 0, b, List.of());
        msg(core, proposal); // on time
        core.handle(new Event.TimerFired(Timer.roundTimeout(1, 0)));
        msg(core, proposal); // a relayed copy after the round was left
        Event.BlockSynced sealedInRound1 = sealed(set, 1, GENESIS, 1, null);
        core.handle(sealedInRound1);
        core.handle(new Event.BlockApplied(1, sealedInRound1.block().hash(), 1_001, set));
        assertThat(only(core.handle(new Event.TimerFired(Timer.proposalDue(2))), Action.ScheduleTimer.class))
                .contains(new Action.ScheduleTimer(Timer.roundTimeout(2, 0), 1_000));

        ConsensusCore late = started(follower());
        late.handle(new Event.TimerFired(Timer.roundTimeout(1, 0)));
        msg(late, proposal); // first seen after its round was left
        late.handle(sealedInRound1);
        late.handle(new Event.BlockApplied(1, sealedInRound1.block().hash(), 1_001, set));
        assertThat(only(late.handle(new Event.TimerFired(Timer.proposalDue(2))), Action.ScheduleTimer.class))
                .contains(new Action.ScheduleTimer(Timer.roundTimeout(2, 0), 2_000));
    }

    static List<Long> finalizedHeights(List<Action> actions) {
        return only(actions, Action.BlockFinalized.class).stream().map(f -> f.block().height()).toList();
    }

    /** Hands the synced blocks over from the highest down, so each but the last is buffered; returns every action. */
    static List<Action> deliverNewestFirst(ConsensusCore core, List<Event.BlockSynced> blocks) {
        List<Action> all = new ArrayList<>();
        for (int i = blocks.size() - 1; i >= 0; i--) all.addAll(core.handle(blocks.get(i)));
        return all;
    }

    @Test
    void aCatchingUpNodeFinalizesSyncedBlocksWithoutWaitingForItsLedgerUntilAnEpochBoundary() {
        ValidatorSet s = withCollateral();
        ConsensusCore core = started(keys.get(3), s);
        List<Event.BlockSynced> chain = syncedChain(s, 5, 0, null);
        List<Action> got = deliverNewestFirst(core, chain);
        // height 5 is a boundary: its set is the ledger's to say, once it has applied block 4
        assertThat(finalizedHeights(got)).containsExactly(1L, 2L, 3L, 4L);
        assertThat(core.height()).isEqualTo(4);
        assertThat(core.phase()).isEqualTo(ConsensusCore.Phase.FINALIZED);
        // the ledger's applied events come behind it and change nothing until the one before the boundary
        for (long h = 1; h <= 3; h++) assertThat(core.handle(new Event.BlockApplied(h, chain.get((int) h - 1).block().hash(), 1_000 + h, s.atHeight(h + 1)))).isEmpty();
        assertThat(finalizedHeights(core.handle(new Event.BlockApplied(4, chain.get(3).block().hash(), 1_004, s.atHeight(5))))).containsExactly(5L);
        // the last synced block waits for the ledger: this node is not in a live height its ledger has not reached
        assertThat(core.height()).isEqualTo(5);
        core.handle(new Event.BlockApplied(5, chain.get(4).block().hash(), 1_005, s.atHeight(6)));
        assertThat(core.height()).isEqualTo(6);
    }

    @Test
    void blocksSyncedBeforeTheLedgerAnnouncedItsTipAreKeptForWhenItDoes() {
        // a restarted node: p2p delivers the sync before the ledger's first applied event, and does not send it again
        ValidatorSet s = withCollateral();
        ConsensusCore core = new ConsensusCore(CHAIN, keys.get(3), CONFIG);
        for (Event.BlockSynced b : syncedChain(s, 3, 0, null)) assertThat(core.handle(b)).isEmpty();
        assertThat(finalizedHeights(core.handle(new Event.BlockApplied(0, GENESIS, 1_000, s)))).containsExactly(1L, 2L, 3L);
    }

    @Test
    void aSyncedBlockPastAMissingOneAsksForTheMissingOneAgain() {
        // the missing block was dropped (buffer full) or lost with a restart; p2p believes it delivered it
        ValidatorSet s = withCollateral();
        ConsensusCore core = started(keys.get(3), s);
        List<Event.BlockSynced> chain = syncedChain(s, 3, 0, null);
        assertThat(only(core.handle(chain.get(2)), Action.SyncNeeded.class)).containsExactly(new Action.SyncNeeded(1));
        assertThat(only(core.handle(chain.get(1)), Action.SyncNeeded.class)).isEmpty(); // asked once for what it knows
        assertThat(finalizedHeights(core.handle(chain.get(0)))).containsExactly(1L, 2L, 3L);
    }

    @Test
    void whatABlockCarriesNeverStopsASyncedRunOnlyAnEpochBoundaryDoes() {
        ValidatorSet s = withCollateral();
        Transaction spendsCollateral = Transaction.transfer(List.of(collateral(2)), List.of(new TxOutput(Amount.sat(1_000_000), keys.get(2).keyHash())));
        ConsensusCore core = started(keys.get(3), s);
        List<Event.BlockSynced> chain = syncedChain(s, 4, 2, spendsCollateral);
        // the spend of a member's collateral in block 2 takes effect at the boundary (height 5): heights 3 and 4 keep the set
        assertThat(s.unchangedBy(chain.get(1).block())).isTrue();
        assertThat(s.unchangedBy(chain.get(3).block())).isFalse();
        assertThat(finalizedHeights(deliverNewestFirst(core, chain))).containsExactly(1L, 2L, 3L, 4L);
        assertThat(core.height()).isEqualTo(4);
    }
}
