package org.timecoin.p2p.core;

import java.util.LinkedHashMap;
import java.util.Map;

import org.timecoin.protocol.crypto.Hash;

/** The hashes of the last {@code capacity} relayed messages, so that each is delivered and relayed once. */
public final class SeenSet {
    private final LinkedHashMap<Hash, Boolean> seen;

    public SeenSet(int capacity) {
        this.seen = new LinkedHashMap<>(Math.min(capacity, 1 << 16), 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Hash, Boolean> eldest) {
                return size() > capacity;
            }
        };
    }

    /** True the first time a hash is offered (while it is remembered). */
    public boolean firstTime(Hash h) {
        return seen.putIfAbsent(h, Boolean.TRUE) == null;
    }

    public int size() {
        return seen.size();
    }
}
