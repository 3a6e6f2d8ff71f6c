package org.timecoin.protocol.codec;

/**
 * Input that does not follow the protocol: carries a stable reason code for the wire and the REST edge.
 * Decoders throw only this (never an index or buffer exception), so callers can reject bad input cleanly.
 */
public final class ProtocolException extends RuntimeException {

    /** Stable reason codes; their names are part of the wire/REST contract. */
    public enum Reason implements org.timecoin.protocol.rules.ReasonCode {
        TRUNCATED,
        TRAILING_BYTES,
        TOO_LARGE,
        LENGTH_OUT_OF_RANGE,
        UNKNOWN_VERSION,
        UNKNOWN_TYPE,
        INVALID_VALUE,
        AMOUNT_OUT_OF_RANGE,
        AMOUNT_OVERFLOW,
        INVALID_ADDRESS,
        INVALID_HEX,
        /** A frame or address of another TimeCoin network (same magic prefix, other chain). */
        WRONG_NETWORK
    }

    private final Reason reason;

    public ProtocolException(Reason reason, String detail) {
        super(reason + ": " + detail);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
