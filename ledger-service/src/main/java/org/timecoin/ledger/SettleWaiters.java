package org.timecoin.ledger;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;

import org.timecoin.protocol.crypto.Hash;

/**
 * Readers waiting for a transaction's status to change here (final, confirmed, released): woken right after the
 * database transaction that changed it commits, so a reader never polls. Only this replica's changes wake them; a
 * change another replica applied is seen when the wait ends.
 */
@ApplicationScoped
public class SettleWaiters {
    static final int MAX_WAITERS = 10_000;

    private final Map<Hash, List<CompletableFuture<Void>>> waiting = new HashMap<>();
    private int count;

    /** Completes when {@code txid} changes here, or after {@code millis}; at once if too many are waiting already. */
    public CompletableFuture<Void> await(Hash txid, long millis) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        synchronized (this) {
            if (count >= MAX_WAITERS) return CompletableFuture.completedFuture(null);
            waiting.computeIfAbsent(txid, k -> new ArrayList<>()).add(f);
            count++;
        }
        f.completeOnTimeout(null, millis, TimeUnit.MILLISECONDS).whenComplete((v, x) -> forget(txid, f));
        return f;
    }

    private synchronized void forget(Hash txid, CompletableFuture<Void> f) {
        List<CompletableFuture<Void>> list = waiting.get(txid);
        if (list != null && list.remove(f)) {
            count--;
            if (list.isEmpty()) waiting.remove(txid);
        }
    }

    /** These transactions' status changed (call after the commit). */
    public void changed(Collection<Hash> txids) {
        List<CompletableFuture<Void>> woken = new ArrayList<>();
        synchronized (this) {
            if (count == 0) return;
            for (Hash txid : txids) {
                List<CompletableFuture<Void>> list = waiting.remove(txid);
                if (list != null) {
                    count -= list.size();
                    woken.addAll(list);
                }
            }
        }
        for (CompletableFuture<Void> f : woken) f.complete(null);
    }

    synchronized int waiting() {
        return count;
    }
}
