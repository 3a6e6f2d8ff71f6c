package org.timecoin.protocol.crypto;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A bounded set of recent entries in two generations: when the current one holds {@code capacity} entries it becomes
 * the previous one and the older previous one is dropped; an entry found in the previous generation moves to the
 * current one. So the last {@code capacity} entries added or found are always kept, and at most {@code 2 × capacity}
 * are held. Emptying the whole set when full made every entry in use at that moment a miss at once. Lookups take no
 * lock; a lookup racing with a generation change can miss, which only costs the caller its work again.
 */
final class RecentSet<T> {
    private final int capacity;
    private volatile Set<T> current = ConcurrentHashMap.newKeySet();
    private volatile Set<T> previous = ConcurrentHashMap.newKeySet();

    RecentSet(int capacity) {
        if (capacity < 1) throw new IllegalArgumentException("capacity must be at least 1");
        this.capacity = capacity;
    }

    boolean contains(T entry) {
        if (current.contains(entry)) return true;
        if (!previous.contains(entry)) return false;
        add(entry);
        return true;
    }

    synchronized void add(T entry) {
        if (current.size() >= capacity) {
            previous = current;
            current = ConcurrentHashMap.newKeySet();
        }
        current.add(entry);
    }
}
