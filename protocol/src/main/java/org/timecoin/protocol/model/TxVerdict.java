package org.timecoin.protocol.model;

import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.codec.ProtocolException.Reason;

/** A validator's verdict on a transaction: u8 1 = approve, 2 = reject. */
public enum TxVerdict {
    APPROVE(1),
    REJECT(2);

    private final int code;

    TxVerdict(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static TxVerdict byCode(int code) {
        return switch (code) {
            case 1 -> APPROVE;
            case 2 -> REJECT;
            default -> throw new ProtocolException(Reason.UNKNOWN_TYPE, "verdict " + code);
        };
    }
}
