package org.timecoin.p2p.core;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * Misbehaviour scores and bans, by peer identity (a node key once known, else an IP). Scores decay linearly
 * ({@code decayPerMinute}); reaching {@code banThreshold} bans the identity until now + {@code banMillis}. Pure: the
 * caller passes the clock.
 */
public final class Reputation {
    private final int banThreshold;
    private final long banMillis;
    private final double decayPerMilli;
    private final int maxTracked;
    private final Map<String, double[]> scores = new HashMap<>(); // id -> {score, at}
    private final Map<String, Long> bannedUntil = new HashMap<>();

    public Reputation(int banThreshold, long banMillis, double decayPerMinute, int maxTracked) {
        this.banThreshold = banThreshold;
        this.banMillis = banMillis;
        this.decayPerMilli = decayPerMinute / 60_000.0;
        this.maxTracked = maxTracked;
    }

    /** Adds the offence; returns true if this identity is now banned. */
    public boolean score(String id, Offence offence, long now) {
        double[] s = scores.computeIfAbsent(id, k -> new double[] {0, now});
        s[0] = Math.max(0, s[0] - (now - s[1]) * decayPerMilli) + offence.points();
        s[1] = now;
        if (s[0] >= banThreshold) {
            bannedUntil.put(id, now + banMillis);
            scores.remove(id);
            trim(now);
            return true;
        }
        trim(now);
        return false;
    }

    public int score(String id, long now) {
        double[] s = scores.get(id);
        return s == null ? 0 : (int) Math.max(0, s[0] - (now - s[1]) * decayPerMilli);
    }

    public boolean banned(String id, long now) {
        Long until = bannedUntil.get(id);
        if (until == null) return false;
        if (until > now) return true;
        bannedUntil.remove(id);
        return false;
    }

    public int bannedCount(long now) {
        bannedUntil.values().removeIf(until -> until <= now);
        return bannedUntil.size();
    }

    // bounded memory under a flood of identities: forget expired bans, then the lowest scores
    private void trim(long now) {
        if (scores.size() + bannedUntil.size() <= maxTracked) return;
        bannedUntil.values().removeIf(until -> until <= now);
        Iterator<Map.Entry<String, double[]>> it = scores.entrySet().iterator();
        while (scores.size() + bannedUntil.size() > maxTracked && it.hasNext()) {
            it.next();
            it.remove();
        }
    }
}
