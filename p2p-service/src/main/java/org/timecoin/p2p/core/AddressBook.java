package org.timecoin.p2p.core;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.model.PeerAddress;

/**
 * Where peers can be reached: configured seeds (no key known yet) and signed addresses learned from peers. Dialing
 * backs off exponentially per endpoint with jitter ({@code base × 2^failures}, capped, ×[1, 1.5)). Bounded; pure.
 */
public final class AddressBook {

    public static final class Entry {
        private final String host;
        private final int port;
        private PeerAddress signed;
        private int failures;
        private long nextAttemptAt;
        private final boolean seed;

        Entry(String host, int port, boolean seed) {
            this.host = host;
            this.port = port;
            this.seed = seed;
        }

        public String endpoint() {
            return host + ":" + port;
        }

        public String host() {
            return host;
        }

        public int port() {
            return port;
        }

        public PeerAddress signed() {
            return signed;
        }

        public PublicKey key() {
            return signed == null ? null : signed.nodeKey();
        }

        public int failures() {
            return failures;
        }

        public boolean seed() {
            return seed;
        }
    }

    private final int capacity;
    private final long backoffBaseMillis;
    private final long backoffMaxMillis;
    private final Map<String, Entry> byEndpoint = new LinkedHashMap<>();

    public AddressBook(int capacity, long backoffBaseMillis, long backoffMaxMillis) {
        this.capacity = capacity;
        this.backoffBaseMillis = backoffBaseMillis;
        this.backoffMaxMillis = backoffMaxMillis;
    }

    public void addSeed(String host, int port) {
        byEndpoint.computeIfAbsent(host + ":" + port, k -> new Entry(host, port, true));
    }

    /**
     * Records a signed address (the caller has checked its signature and chain). Keeps the newest per node key: a
     * node that moved replaces its old endpoint. Returns true if the book changed.
     */
    public boolean learn(PeerAddress a) {
        Entry sameKey = null;
        for (Entry e : byEndpoint.values()) if (e.signed != null && e.signed.nodeKey().equals(a.nodeKey())) sameKey = e;
        if (sameKey != null) {
            if (sameKey.signed.timestampMillis() >= a.timestampMillis()) return false;
            if (!sameKey.seed) byEndpoint.remove(sameKey.endpoint());
            else sameKey.signed = null;
        }
        Entry e = byEndpoint.get(a.host() + ":" + a.port());
        if (e == null) {
            if (byEndpoint.size() >= capacity && !evictOne()) return false;
            e = new Entry(a.host(), a.port(), false);
            byEndpoint.put(e.endpoint(), e);
        }
        e.signed = a;
        return true;
    }

    // the learned entry that failed most often goes first; seeds stay
    private boolean evictOne() {
        Entry worst = byEndpoint.values().stream().filter(e -> !e.seed).max(Comparator.comparingInt(e -> e.failures)).orElse(null);
        if (worst == null) return false;
        byEndpoint.remove(worst.endpoint());
        return true;
    }

    /** Entries whose backoff has passed and that {@code skip} does not exclude (e.g. connected ones), fewest failures first. */
    public List<Entry> due(long now, int limit, Predicate<Entry> skip) {
        List<Entry> out = new ArrayList<>();
        byEndpoint.values().stream().filter(e -> e.nextAttemptAt <= now && !skip.test(e))
                .sorted(Comparator.comparingInt(e -> e.failures)).limit(limit).forEach(out::add);
        return out;
    }

    /** A dial is starting: no second attempt at this endpoint before the backoff passes. */
    public void attempting(String endpoint, long now, double jitter01) {
        Entry e = byEndpoint.get(endpoint);
        if (e == null) return;
        long backoff = Math.min(backoffMaxMillis, backoffBaseMillis << Math.min(e.failures, 20));
        e.nextAttemptAt = now + (long) (backoff * (1 + 0.5 * jitter01));
    }

    public void failed(String endpoint) {
        Entry e = byEndpoint.get(endpoint);
        if (e != null) e.failures++;
    }

    public void succeeded(String endpoint) {
        Entry e = byEndpoint.get(endpoint);
        if (e != null) e.failures = 0;
    }

    public Entry get(String endpoint) {
        return byEndpoint.get(endpoint);
    }

    public List<PeerAddress> signedAddresses(int limit) {
        return byEndpoint.values().stream().filter(e -> e.signed != null).limit(limit).map(e -> e.signed).toList();
    }

    public Collection<Entry> entries() {
        return List.copyOf(byEndpoint.values());
    }

    public int size() {
        return byEndpoint.size();
    }
}
