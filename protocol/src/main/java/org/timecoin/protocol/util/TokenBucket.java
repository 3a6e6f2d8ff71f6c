package org.timecoin.protocol.util;

/** A token bucket (per-peer and per-client rate limits): {@code ratePerSecond} tokens refill continuously up to {@code burst}. Time is passed in. */
public final class TokenBucket {
    private final double ratePerMilli;
    private final double burst;
    private double tokens;
    private long lastMillis;

    public TokenBucket(double ratePerSecond, double burst, long nowMillis) {
        this.ratePerMilli = ratePerSecond / 1000.0;
        this.burst = burst;
        this.tokens = burst;
        this.lastMillis = nowMillis;
    }

    public boolean tryTake(long nowMillis) {
        return tryTake(nowMillis, 1);
    }

    /** Takes {@code count} tokens at once, or none. */
    public boolean tryTake(long nowMillis, int count) {
        if (nowMillis > lastMillis) {
            tokens = Math.min(burst, tokens + (nowMillis - lastMillis) * ratePerMilli);
            lastMillis = nowMillis;
        }
        if (tokens < count) return false;
        tokens -= count;
        return true;
    }
}
