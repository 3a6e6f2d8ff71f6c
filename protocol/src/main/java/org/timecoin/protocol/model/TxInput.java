package org.timecoin.protocol.model;

/** The output being spent and the witness that unlocks it (the witness is outside the txid). */
public record TxInput(OutPoint previous, Witness witness) {
    public static TxInput unsigned(OutPoint previous) {
        return new TxInput(previous, Witness.EMPTY);
    }
}
