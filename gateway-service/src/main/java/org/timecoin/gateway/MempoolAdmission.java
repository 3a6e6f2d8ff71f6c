package org.timecoin.gateway;

/**
 * Whether one more submission fits this node's mempool (DESIGN.md §1: at most N pending transactions): the ledger's
 * last reading of its pending count and bound, plus what was submitted here since that reading. A full node refuses at
 * the edge (503, retry later) instead of publishing what its own ledger would refuse. Before the first reading, or when
 * the ledger cannot be read, submissions are admitted: the ledger enforces the bound itself. So are they when the last
 * reading is older than ten refresh periods or 5 s, whichever is longer: readings are only asked for by submissions, and
 * the first one after a quiet spell would otherwise be refused on what the mempool held when the last burst ended.
 * <p>
 * The edge admits only up to {@code share} of the bound. Every ledger also receives the payments the other nodes'
 * gateways admitted (over p2p, later than its own), and one it must refuse for a full mempool is a vote against a
 * payment the network has already paid to validate; when more than a third of the weight refuses, it is released.
 * The rest of the bound is the room for those. Pure: the caller passes the time and does the reading.
 */
final class MempoolAdmission {
    private final long refreshNanos;
    private final long staleNanos;
    private final double share;
    private long pending = -1;
    private long maxPending = Long.MAX_VALUE;
    private long submittedSinceReading;
    private long askedAt;
    private long readingAskedAt;
    private boolean asking;
    private boolean everAsked;

    /** @param share of the ledger's bound that submissions here may fill, in (0, 1] */
    MempoolAdmission(long refreshMillis, double share) {
        if (!(share > 0 && share <= 1)) throw new IllegalArgumentException("the admission share is in (0, 1]: " + share);
        this.refreshNanos = refreshMillis * 1_000_000;
        this.staleNanos = Math.max(10 * refreshNanos, 5_000_000_000L);
        this.share = share;
    }

    /** True when a reading should be asked for now (none in flight and the last one older than the refresh period). */
    synchronized boolean readingDue(long nowNanos) {
        if (asking || everAsked && nowNanos - askedAt < refreshNanos) return false;
        asking = true;
        everAsked = true;
        askedAt = nowNanos;
        return true;
    }

    /** The ledger's answer to the reading asked for last. */
    synchronized void reading(long pending, long maxPending) {
        this.pending = pending;
        this.maxPending = maxPending;
        this.submittedSinceReading = 0;
        this.readingAskedAt = askedAt;
        this.asking = false;
    }

    /** The reading failed: the last one stands. */
    synchronized void readingFailed() {
        this.asking = false;
    }

    /** True when one more submission would not fit (checked before any costly work on the submission). */
    synchronized boolean full(long nowNanos) {
        if (pending < 0 || nowNanos - readingAskedAt > staleNanos) return false;
        return pending + submittedSinceReading >= Math.max(1, (long) (maxPending * share));
    }

    /** A submission was published: it counts as pending until the next reading. */
    synchronized void submitted() {
        submittedSinceReading++;
    }
}
