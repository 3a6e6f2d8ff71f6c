package org.timecoin.ledger;

/**
 * An output's state in {@code utxo.state}, its code in SQL and its name in REST. An output is locked by the one
 * pending transaction this ledger approved that spends it, spent once that transaction is final, and confirmed spent
 * once a block holds it (then it leaves the set the UTXO commitment sums). Code 2 is unused (it once was "spent,
 * pending"); the codes are stored, so they never change.
 */
public enum UtxoState {
    UNSPENT(0), LOCKED(1), SPENT_FINAL(3), SPENT_CONFIRMED(4);

    /** The value stored in {@code utxo.state}: write SQL with it ({@code "state = " + LOCKED.code}), never a literal. */
    public final int code;

    UtxoState(int code) {
        this.code = code;
    }

    public static UtxoState of(int code) {
        for (UtxoState s : values()) if (s.code == code) return s;
        throw new IllegalArgumentException("no output state " + code);
    }
}
