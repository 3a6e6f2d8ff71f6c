package org.timecoin.consensus.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.model.Block;
import org.timecoin.protocol.model.CommitCertificate;
import org.timecoin.protocol.model.ConsensusMessage;
import org.timecoin.protocol.model.ConsensusMessage.Commit;
import org.timecoin.protocol.model.ConsensusMessage.PrePrepare;
import org.timecoin.protocol.model.ConsensusMessage.Prepare;
import org.timecoin.protocol.model.ConsensusMessage.Prepared;
import org.timecoin.protocol.model.ConsensusMessage.RoundChange;
import org.timecoin.protocol.model.FinalityCertificate;
import org.timecoin.protocol.model.SignedConsensusMessage;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.rules.Quorum;
import org.timecoin.protocol.rules.ValidatorSet;

/**
 * The consensus state machine of one validator: block BFT (PrePrepare → Prepare → Commit, round changes that carry the
 * highest prepared block, as in PBFT/QBFT) and the transaction vote tally. Deterministic and single-threaded: it takes
 * one {@link Event} at a time and returns the {@link Action}s to perform, in order. It reads no clock (timers are
 * actions; their expiry is an event), does no I/O and verifies no signatures (its callers verify them — in parallel
 * — with {@link MessageVerifier} before the events reach it). It signs its own messages through {@link SigningGuard}.
 *
 * <p>Its parts: this class holds one height's rounds (proposal, prepare, commit, round change), whose transitions share
 * its state and read best in one place — hence its ~450 lines; {@link ProposalValidator} says what a proposal must be,
 * {@link HeightCatchUp} how far behind this validator is, {@link FutureMessages} what waits for later heights,
 * {@link SigningGuard} what it already signed, and {@link TxFinality} tallies transaction votes.
 */
public final class ConsensusCore {

    /** Where this height stands, for operators. */
    public enum Phase { WAITING_FOR_CHAIN, WAITING_FOR_INTERVAL, WAITING_FOR_PROPOSAL, PRE_PREPARED, PREPARED, FINALIZED }

    private record Proposal(Block block, List<FinalityCertificate> certificates) {
    }

    private final int chainId;
    private final KeyPair self;
    private final CoreConfig config;
    private final TxFinality txFinality;
    private final SigningGuard signer;
    private final HeightCatchUp catchUp = new HeightCatchUp();
    private final FutureMessages future;
    private final ArrayDeque<Evidence> evidence = new ArrayDeque<>();

    // The height being decided
    private long height = -1;
    private Hash previousHash;
    private long previousTimestamp;
    private ValidatorSet set;
    private ProposalValidator validator; // this height's rules for proposals and round changes
    private int round;
    private boolean started;
    private int startExponent; // of this height's round timeouts, from the heights before it
    private boolean lateRoundSeen; // a round of this height was left before its proposal, build or check came
    private Block finalizedBlock; // this height's block, once final
    private MessageStore store = new MessageStore();
    private final Map<Integer, Proposal> proposalByRound = new HashMap<>();
    private final Map<Hash, Proposal> proposalByHash = new HashMap<>();
    private final Set<Hash> validHashes = new HashSet<>();
    private final Set<Integer> proposedRounds = new HashSet<>();
    private final Set<Integer> buildsRequested = new HashSet<>();
    private int builtRound = -1; // the round this validator leads and its ledger built a block for (-1: none)
    private Proposal built;
    private Prepared prepared;

    public ConsensusCore(int chainId, KeyPair self, CoreConfig config) {
        this.chainId = chainId;
        this.self = self;
        this.config = config;
        this.txFinality = new TxFinality(chainId, self, config);
        this.signer = new SigningGuard(self);
        this.future = new FutureMessages(config.maxBufferedPerSender(), config.maxBufferedBytesPerSender());
    }

    /** Gives back what this validator signed before a restart (from {@link Action.PersistSigned} records). */
    public void restore(List<Action.PersistSigned> records) {
        signer.restore(records);
    }

    public List<Action> handle(Event event) {
        List<Action> out = new ArrayList<>();
        if (event instanceof Event.BlockApplied e) onBlockApplied(e, out);
        else if (event instanceof Event.MessageVerified e) onMessage(e.message(), out);
        else if (event instanceof Event.VotesVerified e) txFinality.onVotes(e.batch(), out);
        else if (event instanceof Event.LocalVerdicts e) txFinality.onLocalVerdicts(e.verdicts(), out);
        else if (event instanceof Event.TimerFired e) onTimer(e.timer(), out);
        else if (event instanceof Event.ProposalBuilt e) onProposalBuilt(e, out);
        else if (event instanceof Event.ProposalChecked e) onProposalChecked(e, out);
        else if (event instanceof Event.BlockSynced e) onBlockSynced(e, out);
        for (Action a : out) {
            if (a instanceof Action.EvidenceFound f) {
                evidence.addLast(f.evidence());
                if (evidence.size() > config.maxEvidence()) evidence.removeFirst();
            }
        }
        return out;
    }

    // ---- introspection (read by the service's REST adapter through the same single thread) ----

    public long height() {
        return height;
    }

    public int round() {
        return round;
    }

    /** This height's starting backoff step: its first round timeout is the base × 2^this. */
    public int startExponent() {
        return startExponent;
    }

    public ValidatorSet validatorSet() {
        return set;
    }

    public List<Evidence> evidence() {
        return List.copyOf(evidence);
    }

    public int openTransactionTallies() {
        return txFinality.openTallies();
    }

    public Phase phase() {
        if (set == null) return Phase.WAITING_FOR_CHAIN;
        if (finalized()) return Phase.FINALIZED;
        if (prepared != null && prepared.round() == round) return Phase.PREPARED;
        if (proposalByRound.containsKey(round)) return Phase.PRE_PREPARED;
        return started ? Phase.WAITING_FOR_PROPOSAL : Phase.WAITING_FOR_INTERVAL;
    }

    // ---- heights ----

    private void onBlockApplied(Event.BlockApplied e, List<Action> out) {
        // already there: applied events are delivered at least once, and a catching-up node runs ahead of its ledger
        if (e.height() + 1 <= height) return;
        startHeight(e.height() + 1, e.hash(), e.timestampMillis(), e.nextSet(), out);
        afterHeightStarted(out);
    }

    private void startHeight(long newHeight, Hash previous, long previousTimestampMillis, ValidatorSet nextSet, List<Action> out) {
        height = newHeight;
        previousHash = previous;
        previousTimestamp = previousTimestampMillis;
        set = nextSet;
        validator = new ProposalValidator(chainId, newHeight, previous, previousTimestampMillis, nextSet);
        round = 0;
        started = false;
        lateRoundSeen = false;
        finalizedBlock = null;
        store = new MessageStore();
        proposalByRound.clear();
        proposalByHash.clear();
        validHashes.clear();
        proposedRounds.clear();
        buildsRequested.clear();
        builtRound = -1;
        built = null;
        prepared = signer.startHeight(height);
        txFinality.onValidatorSet(set, out);
        out.add(new Action.ScheduleTimer(Timer.proposalDue(height), config.blockIntervalMillis()));
    }

    /** Takes the synced blocks buffered for the new height (and the ones after, while it may run ahead), then live messages. */
    private void afterHeightStarted(List<Action> out) {
        catchUp.dropBelow(height);
        Event.BlockSynced next;
        while ((next = catchUp.take(height)) != null && acceptSynced(next, out) && runAhead(next.block(), out)) {
            // each pass finalized one synced block and started the height after it
        }
        if (!finalized()) replayFuture(out);
        maybeSync(out);
    }

    /** Asks peers for finalized blocks when validators are at a later height than ours (see {@link HeightCatchUp}). */
    private void maybeSync(List<Action> out) {
        if (!finalized()) catchUp.maybeAsk(height, out);
    }

    private void replayFuture(List<Action> out) {
        for (SignedConsensusMessage m : future.takeFor(height)) onMessage(m, out);
    }

    private void onBlockSynced(Event.BlockSynced e, List<Action> out) {
        Block b = e.block();
        // peers have this height: if its block is lost (buffer full, restart) we ask again once we run out
        catchUp.seen(b.height());
        // checked when we get there (its validator set is not known yet) — before the first applied event too: p2p may
        // deliver a restarted node's sync before its ledger has announced the tip, and would not send those blocks again
        if (b.height() > height || set == null) {
            catchUp.keep(e);
            // the block after the one just finalized: go on without the ledger if that one left the set as it was
            if (set != null && finalized() && b.height() == height + 1 && runAhead(finalizedBlock, out)) afterHeightStarted(out);
            else if (set != null) maybeSync(out); // a later block while this height's is missing: it was lost, ask again
            return;
        }
        if (acceptSynced(e, out) && runAhead(b, out)) afterHeightStarted(out);
    }

    /** Finalizes a synced block of the current height whose certificate holds against this height's set. */
    private boolean acceptSynced(Event.BlockSynced e, List<Action> out) {
        Block b = e.block();
        if (finalized() || b.height() != height || !b.header().previousHash().equals(previousHash)) return false;
        if (e.certificate().verify(chainId, b, set).isPresent()) return false;
        finalize(b, e.certificate(), out);
        return true;
    }

    /**
     * Catch-up: when the next height's block is already here (synced) and the block just finalized cannot change the
     * validator set ({@link ValidatorSet#unchangedBy}), the next height's set is this one, so that height starts at once
     * instead of waiting for the ledger's blocks.applied (two Kafka hops and a database commit per block). The ledger
     * applies the finalized blocks in order behind us; p2p's sync window (counted from the ledger's applied height)
     * bounds how far ahead this runs. The last synced block waits for the ledger, so a node never takes part in a live
     * height its ledger has not reached. False: wait for blocks.applied.
     */
    private boolean runAhead(Block b, List<Action> out) {
        if (!catchUp.holds(b.height() + 1) || !set.unchangedBy(b)) return false;
        startHeight(b.height() + 1, b.hash(), b.header().timestampMillis(), set.atHeight(b.height() + 1), out);
        return true;
    }

    // ---- messages ----

    private void onMessage(SignedConsensusMessage m, List<Action> out) {
        ConsensusMessage c = m.message();
        if (c.chainId() != chainId) return;
        if (set == null || c.height() > height) {
            bufferFuture(m, out);
            return;
        }
        if (c.height() < height || finalized() && !(c instanceof Commit)) return;
        if (!set.isVoter(c.signer())) return; // only registered validators take part (checked end to end here)
        if (c.round() > round + config.maxFutureRounds()) return;
        if (c instanceof PrePrepare p) {
            onPrePrepare(m, p, out);
        } else if (c instanceof Prepare p) {
            if (recordOrReport(m, out)) tryPrepared(p.round(), out);
        } else if (c instanceof Commit p) {
            if (recordOrReport(m, out)) tryFinalize(p.round(), p.blockHash(), out);
        } else if (c instanceof RoundChange r) {
            onRoundChange(m, r, out);
        }
    }

    private void bufferFuture(SignedConsensusMessage m, List<Action> out) {
        long h = m.message().height();
        if (set != null && !set.isVoter(m.message().signer())) return;
        if (set != null && catchUp.seen(h)) maybeSync(out); // validators are past us: fetch the blocks we miss
        if (height >= 0 && h > height + config.maxFutureHeights()) return;
        future.offer(m);
    }

    /** Messages held for later heights (bounded per sender in count and in bytes). */
    public int bufferedFutureMessages() {
        return future.size();
    }

    /** The encoded bytes of the messages held for later heights, all senders. */
    public long bufferedFutureBytes() {
        return future.bytes();
    }

    /** Stores the message; false (and, the first time, evidence) if its signer already signed something else for that key. */
    private boolean recordOrReport(SignedConsensusMessage m, List<Action> out) {
        SignedConsensusMessage earlier = store.add(m);
        if (earlier == null) return true;
        if (store.firstConflict(m)) out.add(new Action.EvidenceFound(new Evidence.ConflictingMessages(earlier, m)));
        return false;
    }

    private PublicKey leader(int r) {
        return set.leader(previousHash, r);
    }

    private void onPrePrepare(SignedConsensusMessage m, PrePrepare p, List<Action> out) {
        if (!p.signer().equals(leader(p.round()))) return;
        if (p.round() < round) {
            // Its round was left before it came (a sign of load). Its block is kept all the same: other validators may
            // have prepared it, and then a later leader must propose exactly it again; a leader without it cannot lead,
            // and its round times out too.
            if (!proposalByRound.containsKey(p.round()) && recordOrReport(m, out) && validator.structurallyValid(p)) {
                lateRoundSeen = true;
                proposalByHash.putIfAbsent(p.block().hash(), new Proposal(p.block(), p.certificates()));
            }
            return;
        }
        if (!recordOrReport(m, out)) return;
        if (proposalByRound.containsKey(p.round())) return; // seen already
        if (!validator.structurallyValid(p) || !validator.justified(p)) return;
        if (p.round() > round) moveToRound(p.round(), false, out);
        Proposal proposal = new Proposal(p.block(), p.certificates());
        Hash hash = p.block().hash();
        proposalByRound.put(p.round(), proposal);
        proposalByHash.put(hash, proposal);
        if (validHashes.contains(hash)) sendPrepare(p.round(), hash, out);
        else out.add(new Action.CheckProposal(height, p.round(), p.block(), p.certificates()));
        // Commits may have arrived before the block: the block may now be final.
        for (SignedConsensusMessage c : store.messages(p.round(), ConsensusMessage.TYPE_COMMIT)) tryFinalize(p.round(), ((Commit) c.message()).blockHash(), out);
    }

    private void onProposalChecked(Event.ProposalChecked e, List<Action> out) {
        if (e.height() != height || finalized() || !e.valid()) return;
        if (e.round() < round) lateRoundSeen = true;
        validHashes.add(e.blockHash());
        Proposal p = proposalByRound.get(round);
        if (e.round() == round && p != null && p.block().hash().equals(e.blockHash())) sendPrepare(round, e.blockHash(), out);
    }

    private void sendPrepare(int r, Hash hash, List<Action> out) {
        if (!set.isVoter(self.publicKey())) return;
        SignedConsensusMessage m = signer.sign(new Prepare(chainId, height, r, self.publicKey(), hash), null, out);
        if (m != null && store.add(m) == null) tryPrepared(r, out);
    }

    private void tryPrepared(int r, List<Action> out) {
        if (r != round || finalized()) return;
        Proposal p = proposalByRound.get(r);
        if (p == null) return;
        Hash hash = p.block().hash();
        List<SignedConsensusMessage> prepares = store.forHash(r, ConsensusMessage.TYPE_PREPARE, hash);
        if (!set.isQuorum(MessageStore.weight(prepares, set))) return;
        if (prepared == null || prepared.round() < r) prepared = new Prepared(r, hash, prepares);
        if (!set.isVoter(self.publicKey())) return;
        SignedConsensusMessage commit = signer.sign(new Commit(chainId, height, r, self.publicKey(), hash), prepared, out);
        if (commit != null && store.add(commit) == null) tryFinalize(r, hash, out);
    }

    private void tryFinalize(int r, Hash hash, List<Action> out) {
        if (finalized()) return;
        List<SignedConsensusMessage> commits = store.forHash(r, ConsensusMessage.TYPE_COMMIT, hash);
        if (!set.isQuorum(MessageStore.weight(commits, set))) return;
        Proposal p = proposalByHash.get(hash);
        if (p == null) { // final, but we never saw the block: fetch it
            catchUp.askOnce(height, out);
            return;
        }
        List<CommitCertificate.Seal> seals = new ArrayList<>();
        for (SignedConsensusMessage c : commits) seals.add(new CommitCertificate.Seal(c.message().signer(), c.signature()));
        finalize(p.block(), new CommitCertificate(chainId, height, r, hash, seals), out);
    }

    private boolean finalized() {
        return finalizedBlock != null;
    }

    private void finalize(Block block, CommitCertificate certificate, List<Action> out) {
        finalizedBlock = block;
        // A height whose rounds timed out while their work was still coming (a proposal, build or check that came after
        // its round was left) had timeouts too short for the current load: under load a proposal's build, relay and
        // checks outlast the base timeout, and every failed round costs a new, bigger proposal. So the next height's
        // first round waits twice as long; a height final in its first round steps back down. Round changes without
        // such a sign (a leader that crashed or proposed an invalid block) change nothing: longer timeouts would only
        // slow the skipping of faulty leaders. One step per height, at most maxStartExponent. Timeouts never touch
        // safety; validators that saw different signs just wait differently long.
        if (certificate.round() == 0) startExponent = Math.max(0, startExponent - 1);
        else if (lateRoundSeen) startExponent = Math.min(startExponent + 1, config.maxStartExponent());
        for (Transaction tx : block.transactions()) txFinality.markFinal(tx.txid());
        out.add(new Action.BlockFinalized(block, certificate));
    }

    // ---- rounds ----

    private void onTimer(Timer t, List<Action> out) {
        switch (t.kind()) {
            case PROPOSAL_DUE -> {
                if (t.height() != height || started || finalized()) return;
                started = true;
                if (round == 0) {
                    out.add(new Action.ScheduleTimer(Timer.roundTimeout(height, 0), config.roundTimeoutMillis(startExponent)));
                    if (leader(0).equals(self.publicKey())) propose(0, out);
                }
            }
            case ROUND_TIMEOUT -> {
                if (t.height() == height && t.round() == round && !finalized()) moveToRound(round + 1, true, out);
            }
            case TX_LOCK -> txFinality.onLockTimeout(t.txid(), out);
        }
    }

    private void moveToRound(int r, boolean sendRoundChange, List<Action> out) {
        if (r <= round) return;
        round = r;
        started = true;
        out.add(new Action.ScheduleTimer(Timer.roundTimeout(height, r), config.roundTimeoutMillis(startExponent + r)));
        // The leader's build starts with its round, while the RoundChanges are still coming: under load a build takes
        // seconds, and waiting for the quorum first put it on every later round's critical path. Not when this
        // validator prepared a block itself: that block (or a higher prepared one) must be proposed again.
        if (prepared == null && leader(r).equals(self.publicKey())) requestBuild(r, out);
        if (sendRoundChange && set.isVoter(self.publicKey())) {
            SignedConsensusMessage rc = signer.sign(new RoundChange(chainId, height, r, self.publicKey(), prepared), null, out);
            if (rc != null) store.add(rc);
        }
        afterRoundChanges(out);
        tryPrepared(r, out);
    }

    private void onRoundChange(SignedConsensusMessage m, RoundChange rc, List<Action> out) {
        if (rc.round() == 0 || !validator.validPrepared(rc) || !recordOrReport(m, out)) return;
        // More than the faulty weight wants a later round: at least one honest validator timed out; follow it.
        Map<PublicKey, Integer> above = store.roundChangesAbove(round);
        long weight = 0;
        int lowest = Integer.MAX_VALUE;
        for (var e : above.entrySet()) {
            weight += set.votingWeight(e.getKey());
            lowest = Math.min(lowest, e.getValue());
        }
        if (weight > Quorum.maxFaultyWeight(set.totalVotingWeight())) moveToRound(lowest, true, out);
        afterRoundChanges(out);
    }

    /** With a quorum of RoundChanges for the current round, its leader proposes. */
    private void afterRoundChanges(List<Action> out) {
        if (round == 0 || finalized() || !leader(round).equals(self.publicKey())) return;
        List<SignedConsensusMessage> rcs = store.messages(round, ConsensusMessage.TYPE_ROUND_CHANGE);
        if (set.isQuorum(MessageStore.weight(rcs, set))) propose(round, out);
    }

    /**
     * Proposes for round {@code r} (round 0 when its interval is over, later rounds with a quorum of RoundChanges): the
     * highest block the RoundChanges say was prepared, else this validator's own build (asked for now if not yet).
     */
    private void propose(int r, List<Action> out) {
        if (proposedRounds.contains(r)) return;
        Prepared highest = r == 0 ? null : ProposalValidator.highestPrepared(store.messages(r, ConsensusMessage.TYPE_ROUND_CHANGE));
        if (highest != null) {
            proposedRounds.add(r);
            Proposal p = proposalByHash.get(highest.blockHash());
            if (p != null) signProposal(r, p.block(), p.certificates(), out); // else we cannot lead this round: it times out
        } else if (builtRound == r) {
            proposedRounds.add(r);
            signProposal(r, built.block(), built.certificates(), out);
        } else {
            requestBuild(r, out); // proposed when it comes
        }
    }

    private void requestBuild(int r, List<Action> out) {
        if (buildsRequested.add(r)) out.add(new Action.BuildProposal(height, r, previousHash, previousTimestamp));
    }

    private void onProposalBuilt(Event.ProposalBuilt e, List<Action> out) {
        if (e.height() == height && e.round() < round) lateRoundSeen = true;
        if (e.height() != height || e.round() != round || finalized() || !leader(round).equals(self.publicKey())) return;
        builtRound = round;
        built = new Proposal(e.block(), e.certificates());
        if (round == 0) propose(0, out);
        else afterRoundChanges(out); // proposes if the quorum of RoundChanges is here already
    }

    private void signProposal(int r, Block block, List<FinalityCertificate> certs, List<Action> out) {
        List<SignedConsensusMessage> justification = r == 0 ? List.of() : store.messages(r, ConsensusMessage.TYPE_ROUND_CHANGE);
        SignedConsensusMessage pp = signer.sign(new PrePrepare(chainId, height, r, self.publicKey(), block, certs, justification), null, out);
        if (pp != null) onPrePrepare(pp, (PrePrepare) pp.message(), out);
    }

}
