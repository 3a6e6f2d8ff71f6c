package org.timecoin.ledger.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.model.MasternodeRegistration;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxInput;

/**
 * The order of a proposal's transactions (pure). A block may spend only outputs confirmed by earlier blocks or created
 * by a transaction before it in the same block — a rule on the chain alone, so every node judges a block the same way
 * whatever finality certificates it has applied. Final transactions can spend each other's outputs before any block
 * (instant finality), so a proposal puts parents before children and leaves out a transaction whose unconfirmed parent
 * it cannot include (that parent's body is unknown here, or it did not make the cut). A registration's collateral counts
 * as one of its inputs here.
 */
public final class BlockOrder {
    private BlockOrder() {
    }

    /**
     * {@code candidates} in an order where every parent comes before its children, ties by txid (deterministic), without
     * the transactions that spend an output of {@code excludedParents} — final transactions that will not be in this
     * block — directly or through a parent that is left out.
     */
    public static <T> List<T> arrange(List<T> candidates, java.util.function.Function<T, Transaction> tx, Set<Hash> excludedParents) {
        Map<Hash, T> byTxid = new HashMap<>();
        for (T c : candidates) byTxid.put(tx.apply(c).txid(), c);
        Map<Hash, Set<Hash>> parents = new HashMap<>();
        Map<Hash, List<Hash>> children = new HashMap<>();
        Set<Hash> dropped = new HashSet<>();
        for (T c : candidates) {
            Transaction t = tx.apply(c);
            Set<Hash> mine = new HashSet<>();
            List<Hash> spent = new ArrayList<>();
            for (TxInput in : t.inputs()) spent.add(in.previous().txid());
            // a registration's collateral must be confirmed or made earlier in the block, like an input
            if (t.payload() instanceof MasternodeRegistration r && !r.collateral().equals(OutPoint.NULL)) spent.add(r.collateral().txid());
            for (Hash parent : spent) {
                if (excludedParents.contains(parent)) dropped.add(t.txid());
                else if (byTxid.containsKey(parent) && !parent.equals(t.txid())) mine.add(parent);
            }
            parents.put(t.txid(), mine);
            for (Hash p : mine) children.computeIfAbsent(p, k -> new ArrayList<>()).add(t.txid());
        }
        // whatever descends from a dropped transaction is dropped too
        List<Hash> frontier = new ArrayList<>(dropped);
        while (!frontier.isEmpty()) {
            Hash h = frontier.remove(frontier.size() - 1);
            for (Hash child : children.getOrDefault(h, List.of())) if (dropped.add(child)) frontier.add(child);
        }
        // Kahn's algorithm, smallest txid first among the ready ones
        Map<Hash, Integer> waitingOn = new HashMap<>();
        PriorityQueue<Hash> ready = new PriorityQueue<>();
        for (var e : parents.entrySet()) {
            if (dropped.contains(e.getKey())) continue;
            waitingOn.put(e.getKey(), e.getValue().size());
            if (e.getValue().isEmpty()) ready.add(e.getKey());
        }
        List<T> out = new ArrayList<>(candidates.size());
        while (!ready.isEmpty()) {
            Hash h = ready.poll();
            out.add(byTxid.get(h));
            for (Hash child : children.getOrDefault(h, List.of())) {
                Integer left = waitingOn.computeIfPresent(child, (k, n) -> n - 1);
                if (left != null && left == 0) ready.add(child);
            }
        }
        return out; // a cycle cannot exist (a txid commits to its inputs); anything left waiting would be left out
    }
}
