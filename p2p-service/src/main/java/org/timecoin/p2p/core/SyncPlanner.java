package org.timecoin.p2p.core;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Decides which finalized blocks to fetch from which peer. It knows this node's applied height and each peer's best
 * height; it keeps one request in flight, asks the peers that are ahead in turn (a peer that did not answer in time
 * goes to the back), and never runs more than {@code window} blocks ahead of the applied height (the consensus
 * service buffers that many). Pure: the caller passes the clock.
 */
public final class SyncPlanner {
    public record Request(String peer, long fromHeight, int count) {
    }

    private final int batch;
    private final int window;
    private final long timeoutMillis;
    private final Map<String, Long> best = new HashMap<>();
    private final Map<String, Long> lastAsked = new HashMap<>();
    private long applied = -1;
    private long deliveredUpTo = -1;
    private Request inFlight;
    private long deadline;

    public SyncPlanner(int batch, int window, long timeoutMillis) {
        this.batch = batch;
        this.window = window;
        this.timeoutMillis = timeoutMillis;
    }

    public void applied(long height) {
        applied = Math.max(applied, height);
    }

    public long appliedHeight() {
        return applied;
    }

    public void peerHeight(String peer, long height) {
        best.merge(peer, height, Math::max);
    }

    public void peerGone(String peer) {
        best.remove(peer);
        lastAsked.remove(peer);
        if (inFlight != null && inFlight.peer().equals(peer)) inFlight = null;
    }

    public long highestPeerHeight() {
        return best.values().stream().mapToLong(Long::longValue).max().orElse(-1);
    }

    /**
     * The consensus service saw validators ahead and needs blocks from {@code fromHeight} on: deliver again from there
     * (deliveries past it may be lost). While catching up it may be ahead of the applied height; what it already has
     * is not fetched again.
     */
    public void restartFrom(long fromHeight) {
        deliveredUpTo = Math.max(applied, fromHeight - 1);
    }

    public Optional<Request> next(long now) {
        if (applied < 0) return Optional.empty();
        if (inFlight != null) {
            if (now < deadline) return Optional.empty();
            lastAsked.put(inFlight.peer(), now); // slow: others first next time
            inFlight = null;
        }
        long frontier = Math.max(applied, deliveredUpTo);
        if (frontier - applied >= window) {
            return Optional.empty();
        }
        String chosen = null;
        for (Map.Entry<String, Long> e : best.entrySet()) {
            if (e.getValue() <= frontier) continue;
            if (chosen == null || lastAsked.getOrDefault(e.getKey(), Long.MIN_VALUE) < lastAsked.getOrDefault(chosen, Long.MIN_VALUE)) chosen = e.getKey();
        }
        if (chosen == null) return Optional.empty();
        int count = (int) Math.min(Math.min(batch, best.get(chosen) - frontier), window - (frontier - applied));
        inFlight = new Request(chosen, frontier + 1, count);
        deadline = now + timeoutMillis;
        lastAsked.put(chosen, now);
        return Optional.of(inFlight);
    }

    /** True if this answers the request in flight from this peer (anything else is unsolicited). */
    public boolean solicited(String peer) {
        return inFlight != null && inFlight.peer().equals(peer);
    }

    public Request inFlight() {
        return inFlight;
    }

    /** The in-flight request was answered with {@code delivered} valid blocks from its first height. */
    public void answered(int delivered) {
        if (inFlight == null) return;
        if (delivered > 0) deliveredUpTo = inFlight.fromHeight() + delivered - 1;
        else best.put(inFlight.peer(), Math.max(applied, deliveredUpTo)); // it claimed blocks it does not serve
        inFlight = null;
    }

    /** The in-flight answer was refused (bad certificate): the peer is not asked again. */
    public void refused() {
        if (inFlight == null) return;
        best.remove(inFlight.peer());
        inFlight = null;
    }
}
