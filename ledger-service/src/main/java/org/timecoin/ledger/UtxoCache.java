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
 * In-process cache of UTXO reads by outpoint (REST). Contract: every replica consumes blocks.applied under its own
 * consumer group and drops the inputs and outputs of each applied block before it serves anything newer, so once a
 * replica has seen block h applied it never serves an entry that block h changed; its own writes (locks, releases,
 * finality) drop their entries at once. Changes written by another replica between blocks (a lock, a finality
 * certificate) can be served stale until the next applied block: spends are always validated against the database,
 * never against this cache. Misses for unknown outpoints are not cached.
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
