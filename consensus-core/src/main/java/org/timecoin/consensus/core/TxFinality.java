package org.timecoin.consensus.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.model.FinalityCertificate;
import org.timecoin.protocol.model.TxVerdict;
import org.timecoin.protocol.model.TxVoteBatch;
import org.timecoin.protocol.model.VoteEntry;
import org.timecoin.protocol.rules.ValidatorSet;

/**
 * The transaction vote tally: signs this node's verdicts as one batch, counts every validator's verdicts by weight
 * (a voter counts once per transaction and epoch; a changed verdict is evidence), and decides finality or release.
 * A transaction has one tally per epoch its votes name; when a new epoch begins this node signs its standing
 * approvals again under it, so votes split by a boundary still meet in the new epoch's tally. Part of the
 * single-threaded core: no locks, no clock, no I/O.
 */
final class TxFinality {
    private enum State { OPEN, FINAL }

    private static final class Tally {
        final long setHeight;
        final PublicKey creator;
        final Map<PublicKey, TxVoteBatch> approvals = new LinkedHashMap<>();
        final Map<PublicKey, TxVoteBatch> rejections = new HashMap<>();
        final Map<PublicKey, Integer> approvalIndex = new HashMap<>();
        final java.util.Set<PublicKey> reported = new java.util.HashSet<>(); // one piece of evidence per voter
        State state = State.OPEN;
        boolean released;

        Tally(long setHeight, PublicKey creator) {
            this.setHeight = setHeight;
            this.creator = creator;
        }
    }

    private final int chainId;
    private final KeyPair self;
    private final CoreConfig config;
    // Validator sets (by epoch) that votes may name: the current one and the one before (votes in flight across a change).
    private final Map<Long, ValidatorSet> sets = new LinkedHashMap<>();
    private record TallyKey(Hash txid, long epoch) {
    }

    private final LinkedHashMap<TallyKey, Tally> tallies = new LinkedHashMap<>();
    private final Map<Hash, List<TallyKey>> talliesOf = new HashMap<>();
    // Open tallies each voter started: no validator may hold more than its share of maxTrackedTransactions, so one
    // Byzantine validator voting for made-up txids cannot push honest tallies out.
    private final Map<PublicKey, Integer> startedBy = new HashMap<>();
    private final LinkedHashSet<Hash> recentlyFinal = new LinkedHashSet<>();
    private ValidatorSet current;

    TxFinality(int chainId, KeyPair self, CoreConfig config) {
        this.chainId = chainId;
        this.self = self;
        this.config = config;
    }

    void onValidatorSet(ValidatorSet set, List<Action> out) {
        boolean newEpoch = current != null && current.epoch() != set.epoch();
        current = set;
        sets.put(set.epoch(), set);
        while (sets.size() > 2) sets.remove(sets.keySet().iterator().next());
        if (newEpoch) signStandingApprovals(out);
    }

    /** This node's approvals of transactions still open, signed again under the current epoch (a boundary split them). */
    private void signStandingApprovals(List<Action> out) {
        List<Event.LocalVerdict> standing = new ArrayList<>();
        Set<Hash> seen = new java.util.HashSet<>();
        for (var e : tallies.entrySet()) {
            Tally t = e.getValue();
            if (e.getKey().epoch() != current.epoch() && t.state == State.OPEN && !t.released && t.approvals.containsKey(self.publicKey())
                    && seen.add(e.getKey().txid())) {
                standing.add(new Event.LocalVerdict(e.getKey().txid(), TxVerdict.APPROVE));
            }
        }
        if (!standing.isEmpty()) sign(standing, false, out);
    }

    int openTallies() {
        return tallies.size();
    }

    void onLocalVerdicts(List<Event.LocalVerdict> verdicts, List<Action> out) {
        sign(verdicts, true, out);
    }

    private void sign(List<Event.LocalVerdict> verdicts, boolean scheduleLockTimers, List<Action> out) {
        // Free nodes and nodes without a set do not vote; a voter that left still does through the joint epoch
        if (current == null || !current.mayVoteOnTransactions(self.publicKey())) return;
        List<VoteEntry> entries = new ArrayList<>();
        Set<Hash> seen = new java.util.HashSet<>();
        for (Event.LocalVerdict v : verdicts) {
            if (recentlyFinal.contains(v.txid()) || !seen.add(v.txid())) continue;
            entries.add(new VoteEntry(v.txid(), v.verdict()));
            if (scheduleLockTimers && v.verdict() == TxVerdict.APPROVE) out.add(new Action.ScheduleTimer(Timer.txLock(v.txid()), config.txLockTimeoutMillis()));
        }
        for (int from = 0; from < entries.size(); from += org.timecoin.protocol.model.Limits.MAX_VOTE_BATCH) {
            List<VoteEntry> chunk = entries.subList(from, Math.min(entries.size(), from + org.timecoin.protocol.model.Limits.MAX_VOTE_BATCH));
            TxVoteBatch batch = TxVoteBatch.sign(chainId, current.epoch(), self, chunk);
            out.add(new Action.BroadcastVotes(batch));
            onVotes(batch, out);
        }
    }

    void onVotes(TxVoteBatch batch, List<Action> out) {
        if (batch.chainId() != chainId) return;
        ValidatorSet set = sets.get(batch.validatorSetHeight());
        if (set == null) return;
        if (!set.mayVoteOnTransactions(batch.voter())) return; // not a validator of that set: ignored (the p2p layer also refuses it)
        List<VoteEntry> entries = batch.entries();
        for (int i = 0; i < entries.size(); i++) {
            VoteEntry e = entries.get(i);
            if (recentlyFinal.contains(e.txid())) continue;
            TallyKey key = new TallyKey(e.txid(), set.epoch());
            Tally t = tallies.get(key);
            if (t == null) {
                int share = Math.max(1, config.maxTrackedTransactions() / Math.max(1, set.voters().size()));
                if (startedBy.getOrDefault(batch.voter(), 0) >= share) continue;
                if (tallies.size() >= config.maxTrackedTransactions()) evictOldest();
                t = new Tally(set.epoch(), batch.voter());
                tallies.put(key, t);
                talliesOf.computeIfAbsent(e.txid(), k -> new ArrayList<>(1)).add(key);
                startedBy.merge(batch.voter(), 1, Integer::sum);
            }
            TxVoteBatch approved = t.approvals.get(batch.voter());
            TxVoteBatch rejected = t.rejections.get(batch.voter());
            TxVoteBatch previous = approved != null ? approved : rejected;
            if (previous != null) {
                boolean sameVerdict = (approved != null) == (e.verdict() == TxVerdict.APPROVE);
                if (!sameVerdict && t.reported.add(batch.voter())) out.add(new Action.EvidenceFound(new Evidence.ConflictingVotes(e.txid(), previous, batch)));
                continue; // counted once, whatever it says later
            }
            if (e.verdict() == TxVerdict.APPROVE) {
                t.approvals.put(batch.voter(), batch);
                t.approvalIndex.put(batch.voter(), i);
            } else {
                t.rejections.put(batch.voter(), batch);
            }
            decide(e.txid(), t, set, out);
        }
    }

    private void decide(Hash txid, Tally t, ValidatorSet set, List<Action> out) {
        if (t.state != State.OPEN) return;
        if (set.certifies(t.approvals.keySet())) {
            List<FinalityCertificate.VoteProof> proofs = new ArrayList<>();
            for (var a : t.approvals.entrySet()) proofs.add(a.getValue().proofFor(t.approvalIndex.get(a.getKey())));
            t.state = State.FINAL;
            remove(txid);
            rememberFinal(txid);
            out.add(new Action.TxFinalized(new FinalityCertificate(chainId, txid, set.epoch(), proofs)));
        } else if (!t.released && set.cannotCertifyWithout(t.rejections.keySet())) {
            t.released = true;
            out.add(new Action.TxReleased(txid, Action.ReleaseReason.REJECTED));
        }
    }

    void onLockTimeout(Hash txid, List<Action> out) {
        boolean release = false;
        for (TallyKey k : talliesOf.getOrDefault(txid, List.of())) {
            Tally t = tallies.get(k);
            if (t.state != State.OPEN || t.released) continue;
            t.released = true;
            release = true;
        }
        if (release) out.add(new Action.TxReleased(txid, Action.ReleaseReason.LOCK_TIMEOUT));
    }

    /** A transaction finalized elsewhere (its certificate seen in a block): stop tracking it. */
    void markFinal(Hash txid) {
        remove(txid);
        rememberFinal(txid);
    }

    private void remove(Hash txid) {
        List<TallyKey> keys = talliesOf.remove(txid);
        if (keys == null) return;
        for (TallyKey k : keys) {
            Tally t = tallies.remove(k);
            if (t != null) startedBy.computeIfPresent(t.creator, (kk, n) -> n <= 1 ? null : n - 1);
        }
    }

    private void rememberFinal(Hash txid) {
        recentlyFinal.add(txid);
        if (recentlyFinal.size() > config.maxTrackedTransactions()) recentlyFinal.remove(recentlyFinal.iterator().next());
    }

    private void evictOldest() {
        remove(tallies.keySet().iterator().next().txid());
    }
}
