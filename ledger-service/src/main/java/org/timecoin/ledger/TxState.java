package org.timecoin.ledger;

/**
 * A transaction's state in {@code tx.status}, its code in SQL and its name in REST: pending while its votes are
 * counted (its inputs locked here if this ledger approved it), final with a certificate, confirmed once a block holds
 * it; rejected (invalid, or a conflict became final) or released (its locks given up; it may be submitted again).
 * The codes are stored, so they never change; the migrations' partial indexes name them too.
 */
public enum TxState {
    PENDING(1), FINAL(2), CONFIRMED(3), REJECTED(4), RELEASED(5);

    /** The value stored in {@code tx.status}: write SQL with it ({@code "status = " + PENDING.code}), never a literal. */
    public final int code;

    TxState(int code) {
        this.code = code;
    }

    public static TxState of(int code) {
        for (TxState s : values()) if (s.code == code) return s;
        throw new IllegalArgumentException("no transaction state " + code);
    }
}
