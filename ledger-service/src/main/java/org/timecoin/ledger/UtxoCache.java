package org.timecoin.ledger;

import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.timecoin.protocol.model.OutPoint;

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
    private final LedgerStore store;
    private final Cache<OutPoint, LedgerStore.UtxoView> cache;

    public UtxoCache(LedgerStore store, MeterRegistry registry, @ConfigProperty(name = "timecoin.ledger.utxo-cache-size", defaultValue = "100000") long size) {
        this.store = store;
        this.cache = Caffeine.newBuilder().maximumSize(size).recordStats().build();
        CaffeineCacheMetrics.monitor(registry, cache, "utxo");
    }

    public Optional<LedgerStore.UtxoView> get(OutPoint p) {
        LedgerStore.UtxoView hit = cache.getIfPresent(p);
        if (hit != null) return Optional.of(hit);
        Optional<LedgerStore.UtxoView> loaded = store.utxo(p);
        loaded.ifPresent(v -> cache.put(p, v));
        return loaded;
    }

    public void invalidate(List<OutPoint> points) {
        cache.invalidateAll(points);
    }

    public long size() {
        return cache.estimatedSize();
    }
}
