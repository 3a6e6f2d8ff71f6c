package org.timecoin.gateway;

/**
 * Whether one more submission fits this node's mempool (DESIGN.md §1: at most N pending transactions): the ledger's
 * last reading of its pending count and bound, plus what was submitted here since that reading. A full node refuses at
 * the edge (503, retry later) instead of publishing what its own ledger would refuse. Before the first reading, or when
 * the ledger cannot be read, submissions are admitted: the ledger enforces the bound itself. Pure: the caller passes
 * the time and does the reading.
 */
final class MempoolAdmission {
    private final long refreshNanos;
    private long pending = -1;
    private long maxPending = Long.MAX_VALUE;
    private long submittedSinceReading;
    private long askedAt;
    private boolean asking;
    private boolean everAsked;

    MempoolAdmission(long refreshMillis) {
        this.refreshNanos = refreshMillis * 1_000_000;
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
        this.asking = false;
    }

    /** The reading failed: the last one stands. */
    synchronized void readingFailed() {
        this.asking = false;
    }

    /** True when one more submission would not fit (checked before any costly work on the submission). */
    synchronized boolean full() {
        return pending >= 0 && pending + submittedSinceReading >= maxPending;
    }

    /** A submission was published: it counts as pending until the next reading. */
    synchronized void submitted() {
        submittedSinceReading++;
    }
}
