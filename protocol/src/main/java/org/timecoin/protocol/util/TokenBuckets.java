package org.timecoin.protocol.util;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A {@link TokenBucket} per key (a client address, a peer address), at most {@code capacity} keys: the least recently
 * seen is forgotten first, so a flood of new keys costs bounded memory. Thread-safe; time is passed in.
 */
public final class TokenBuckets {
    private final double ratePerSecond;
    private final double burst;
    private final Map<String, TokenBucket> buckets;

    public TokenBuckets(double ratePerSecond, double burst, int capacity) {
        this.ratePerSecond = ratePerSecond;
        this.burst = burst;
        this.buckets = new LinkedHashMap<>(256, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, TokenBucket> eldest) {
                return size() > capacity;
            }
        };
    }

    /** Takes {@code count} tokens from {@code key}'s bucket (full when first seen), or none. */
    public synchronized boolean tryTake(String key, long nowMillis, int count) {
        return buckets.computeIfAbsent(key, k -> new TokenBucket(ratePerSecond, burst, nowMillis)).tryTake(nowMillis, count);
    }
}
