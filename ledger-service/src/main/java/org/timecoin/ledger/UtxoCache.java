package org.timecoin.ledger;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxInput;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;

/**
 * In-process cache of UTXO reads by outpoint (REST). Contract: every replica consumes blocks.applied and tx.applied
 * under its own consumer groups and drops the inputs and outputs of each applied block, and the inputs of each applied
 * finality, as it reads them, so once a replica has seen a block or a finality announced it never serves an entry that
 * it changed; its own writes (locks, releases, finality) drop their entries at once. Locks and releases written by
 * another replica can be served stale until the outpoint is spent or the next block: spends are always validated
 * against the database, never against this cache. Misses for unknown outpoints are not cached (so a new output is
 * never stale).
 */
@ApplicationScoped
public class UtxoCache {
    private final LedgerReads reads;
    private final Cache<OutPoint, LedgerReads.UtxoView> cache;

    @jakarta.inject.Inject
    public UtxoCache(LedgerReads reads, MeterRegistry registry, LedgerSettings settings) {
        this(reads, registry, settings.utxoCacheSize());
    }

    public UtxoCache(LedgerReads reads, MeterRegistry registry, long size) {
        this.reads = reads;
        this.cache = Caffeine.newBuilder().maximumSize(size).recordStats().build();
        CaffeineCacheMetrics.monitor(registry, cache, "utxo");
    }

    public Optional<LedgerReads.UtxoView> get(OutPoint p) {
        LedgerReads.UtxoView hit = cache.getIfPresent(p);
        if (hit != null) return Optional.of(hit);
        Optional<LedgerReads.UtxoView> loaded = reads.utxo(p);
        loaded.ifPresent(v -> cache.put(p, v));
        return loaded;
    }

    public void invalidate(List<OutPoint> points) {
        cache.invalidateAll(points);
    }

    /** Inputs and outputs of a transaction: the entries its lock, finality or block changes. */
    public static List<OutPoint> touched(Transaction tx) {
        List<OutPoint> out = new ArrayList<>();
        for (TxInput in : tx.inputs()) out.add(in.previous());
        for (int i = 0; i < tx.outputs().size(); i++) out.add(new OutPoint(tx.txid(), i));
        return out;
    }

    public long size() {
        return cache.estimatedSize();
    }
}
