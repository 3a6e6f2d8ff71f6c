package org.timecoin.protocol.model;

import org.timecoin.protocol.codec.Reader;
import org.timecoin.protocol.codec.Writer;
import org.timecoin.protocol.crypto.Hash;

/** A reference to one output of a transaction: txid (32) ‖ u32 index. */
public record OutPoint(Hash txid, int index) {
    /** Marks "no collateral" in a Free-tier registration. */
    public static final OutPoint NULL = new OutPoint(Hash.ZERO, 0);

    public OutPoint {
        if (index < 0 || index >= Limits.MAX_OUTPUTS) throw new IllegalArgumentException("output index out of range: " + index);
    }

    public static OutPoint read(Reader r) {
        Hash txid = Hash.read(r);
        return new OutPoint(txid, r.u32InRange("output index", 0, Limits.MAX_OUTPUTS - 1));
    }

    public void write(Writer w) {
        txid.write(w);
        w.u32(index);
    }

    @Override
    public String toString() {
        return txid.hex() + ":" + index;
    }
}
