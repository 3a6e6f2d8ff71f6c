package org.timecoin.protocol.wire;

/** Why a node closes a p2p connection: the u16 code of a {@link WireMessage.Reject} frame. Codes are stable. */
public enum RejectCode {
    PROTOCOL_VIOLATION(1),
    MALFORMED(2),
    WRONG_CHAIN(3),
    WRONG_VERSION(4),
    BAD_AUTH(5),
    BANNED(6),
    DUPLICATE_CONNECTION(7),
    SELF_CONNECTION(8),
    TOO_MANY_CONNECTIONS(9),
    TIMEOUT(10),
    FRAME_TOO_LARGE(11),
    SHUTDOWN(12),
    /** A sealed record did not open: someone on the path altered or injected it (no fault of the peer's key). */
    CHANNEL_BROKEN(13);

    private final int code;

    RejectCode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static RejectCode byCode(int code) {
        for (RejectCode r : values()) if (r.code == code) return r;
        return PROTOCOL_VIOLATION;
    }
}
