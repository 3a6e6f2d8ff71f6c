package org.timecoin.consensus.core;

import java.util.List;
import java.util.TreeMap;

/**
 * How far behind this validator is, and the synced blocks it holds for heights it has not reached. It remembers the
 * highest height any validator's message or synced block named and when it last asked peers for blocks, so it asks once
 * per height — and again each time a still later height shows up (a request may have reached only peers that were
 * behind as well). The synced blocks are bounded ({@value #MAX_SYNCED_AHEAD}), lowest heights kept.
 */
final class HeightCatchUp {
    static final int MAX_SYNCED_AHEAD = 256;

    private long highestSeen = -1;
    private long askedAt = -1;
    private long askedSeen = -1;
    private final TreeMap<Long, Event.BlockSynced> syncedAhead = new TreeMap<>();

    /** Notes that validators are at {@code height}; true if that is later than any height seen before. */
    boolean seen(long height) {
        if (height <= highestSeen) return false;
        highestSeen = height;
        return true;
    }

    /** Asks peers for blocks from {@code height} if validators are past it and this height was not asked for since. */
    void maybeAsk(long height, List<Action> out) {
        if (height < 0 || highestSeen <= height) return;
        if (askedAt == height && highestSeen <= askedSeen) return;
        ask(height, out);
    }

    /** Asks once for {@code height}'s block (a quorum finalized a block this validator never saw). */
    void askOnce(long height, List<Action> out) {
        if (askedAt != height) ask(height, out);
    }

    private void ask(long height, List<Action> out) {
        askedAt = height;
        askedSeen = highestSeen;
        out.add(new Action.SyncNeeded(height));
    }

    /** Keeps a synced block for later, within the bound (a lower height displaces the highest). */
    void keep(Event.BlockSynced e) {
        long h = e.block().height();
        if (syncedAhead.size() < MAX_SYNCED_AHEAD || h < syncedAhead.lastKey()) {
            syncedAhead.put(h, e);
            if (syncedAhead.size() > MAX_SYNCED_AHEAD) syncedAhead.pollLastEntry();
        }
    }

    boolean holds(long height) {
        return syncedAhead.containsKey(height);
    }

    /** Drops the blocks below {@code height}. */
    void dropBelow(long height) {
        syncedAhead.headMap(height).clear();
    }

    /** Removes and returns the synced block of {@code height} (null: none). */
    Event.BlockSynced take(long height) {
        return syncedAhead.remove(height);
    }
}
