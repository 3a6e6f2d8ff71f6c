package org.timecoin.consensus.core;

import org.timecoin.protocol.crypto.Hash;

/** A timer the core asked for. Timers only enqueue {@link Event.TimerFired}; a stale one is ignored by the core. */
public record Timer(Kind kind, long height, int round, Hash txid) {
    public enum Kind {
        /** The block interval after the previous block has elapsed: round 0 of {@code height} starts. */
        PROPOSAL_DUE,
        /** Round {@code round} of {@code height} took too long: change round. */
        ROUND_TIMEOUT,
        /** The lock of transaction {@code txid} expires unless it is final. */
        TX_LOCK
    }

    public static Timer proposalDue(long height) {
        return new Timer(Kind.PROPOSAL_DUE, height, 0, null);
    }

    public static Timer roundTimeout(long height, int round) {
        return new Timer(Kind.ROUND_TIMEOUT, height, round, null);
    }

    public static Timer txLock(Hash txid) {
        return new Timer(Kind.TX_LOCK, 0, 0, txid);
    }
}
