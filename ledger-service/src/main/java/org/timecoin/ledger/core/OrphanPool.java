package org.timecoin.ledger.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxInput;

/**
 * Transactions that spend outputs this node does not know yet, held for a short while instead of being rejected.
 * <p>
 * Why: a wallet spends an output as soon as its gateway reports the parent final, and the child reaches the other
 * masternodes a few milliseconds later, sometimes before their ledgers have applied the parent's finality. Rejecting
 * there ("unknown input") makes those nodes vote against a valid transaction. Here the child waits until a parent's
 * finality is applied (then it is validated again) or until its deadline (then the rejection stands).
 * <p>
 * Bounded: at capacity a new orphan is refused (the caller rejects it at once). No clock, no I/O, not thread-safe: the
 * caller serializes access and passes the time.
 */
public final class OrphanPool {
    private final int capacity;
    private final long waitMillis;
    private final LinkedHashMap<Hash, Held> byTxid = new LinkedHashMap<>();
    private final Map<Hash, Set<Hash>> byParent = new HashMap<>();

    /** A held transaction and when its wait ends. */
    public record Held(Transaction tx, long deadlineMillis) {
    }

    public OrphanPool(int capacity, long waitMillis) {
        if (capacity < 0 || waitMillis < 0) throw new IllegalArgumentException("capacity and wait must not be negative");
        this.capacity = capacity;
        this.waitMillis = waitMillis;
    }

    /** Holds {@code tx} until {@code now + wait}; false if the pool is full (or the wait is zero): reject it now. */
    public boolean park(Transaction tx, long nowMillis) {
        return parkUntil(tx, nowMillis + waitMillis);
    }

    /**
     * Holds {@code tx} until a given deadline: a transaction validated again when one parent became final, while
     * another is still unknown, keeps the deadline it was first given (its wait is never extended).
     */
    public boolean parkUntil(Transaction tx, long deadlineMillis) {
        if (byTxid.containsKey(tx.txid())) return true;
        if (waitMillis == 0 || byTxid.size() >= capacity) return false;
        byTxid.put(tx.txid(), new Held(tx, deadlineMillis));
        for (Hash parent : parents(tx)) byParent.computeIfAbsent(parent, k -> new HashSet<>()).add(tx.txid());
        return true;
    }

    /** The orphans that spend an output of {@code parent} (now final here): removed, to be validated again. */
    public List<Held> parentFinal(Hash parent) {
        Set<Hash> children = byParent.remove(parent);
        List<Held> out = new ArrayList<>();
        if (children == null) return out;
        for (Hash child : children) {
            Held h = remove(child);
            if (h != null) out.add(h);
        }
        return out;
    }

    /** Orphans whose deadline has passed: removed, to be validated a last time (and rejected if still orphaned). */
    public List<Held> expired(long nowMillis) {
        List<Held> out = new ArrayList<>();
        for (Held h : List.copyOf(byTxid.values())) {
            if (h.deadlineMillis() > nowMillis) continue;
            remove(h.tx().txid());
            out.add(h);
        }
        return out;
    }

    public int size() {
        return byTxid.size();
    }

    private Held remove(Hash txid) {
        Held h = byTxid.remove(txid);
        if (h == null) return null;
        for (Hash parent : parents(h.tx())) {
            Set<Hash> s = byParent.get(parent);
            if (s != null && s.remove(txid) && s.isEmpty()) byParent.remove(parent);
        }
        return h;
    }

    private static Set<Hash> parents(Transaction tx) {
        Set<Hash> out = new HashSet<>();
        for (TxInput in : tx.inputs()) out.add(in.previous().txid());
        return out;
    }
}
