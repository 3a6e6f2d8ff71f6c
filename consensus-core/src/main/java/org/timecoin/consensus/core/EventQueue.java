package org.timecoin.consensus.core;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The core's inbox, in two lanes, each first in first out: what moves blocks forward (consensus messages, proposals
 * built and checked, blocks applied or synced, round timers) is taken before what finalizes transactions (vote
 * batches, local verdicts, transaction lock timers). Under load hundreds of vote batches can be queued; a proposal
 * behind them waited seconds and its round timed out, so blocks stopped while transactions kept finalizing. A lock timer
 * stays in the transaction lane, behind the votes that came before it: a payment whose quorum is already queued must
 * not be released ahead of it. The block lane holds a few events per round (p2p rate-limits consensus traffic per peer),
 * so the transaction lane is not starved. Safe for any number of producers and one consumer.
 */
public final class EventQueue {
    /** An event and when it was queued (the caller's clock, for the wait it spent here). */
    public record Queued(Event event, long queuedAtNanos, Lane lane) {
    }

    public enum Lane { BLOCK, TX }

    private final Queue<Queued> blockLane = new ConcurrentLinkedQueue<>();
    private final Queue<Queued> txLane = new ConcurrentLinkedQueue<>();

    /** The lane an event waits in. */
    public static Lane laneOf(Event event) {
        if (event instanceof Event.VotesVerified || event instanceof Event.LocalVerdicts) return Lane.TX;
        if (event instanceof Event.TimerFired t && t.timer().kind() == Timer.Kind.TX_LOCK) return Lane.TX;
        return Lane.BLOCK;
    }

    public void add(Event event, long nowNanos) {
        Lane lane = laneOf(event);
        (lane == Lane.BLOCK ? blockLane : txLane).add(new Queued(event, nowNanos, lane));
    }

    /** The oldest event of the block lane, else the oldest of the transaction lane; null when both are empty. */
    public Queued poll() {
        Queued q = blockLane.poll();
        return q != null ? q : txLane.poll();
    }

    public int size() {
        return blockLane.size() + txLane.size();
    }
}
