package org.timecoin.protocol.model;

import org.timecoin.protocol.codec.Reader;
import org.timecoin.protocol.codec.Writer;
import org.timecoin.protocol.crypto.KeyHash;

/** u64 amount (sat) ‖ key hash (20). */
public record TxOutput(Amount amount, KeyHash keyHash) {
    public static TxOutput read(Reader r) {
        return new TxOutput(Amount.read(r), KeyHash.read(r));
    }

    public void write(Writer w) {
        amount.write(w);
        keyHash.write(w);
    }
}
