package org.timecoin.protocol.wire;

import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.codec.ProtocolException.Reason;
import org.timecoin.protocol.codec.Writer;

/**
 * A frame on a p2p connection: u32 magic (network) ‖ u8 message type ‖ u32 body length ‖ body. The length is checked
 * against the limit for the message's class before any body byte is buffered; limits are configuration, not
 * protocol constants (blocks and proposals need more room than everything else).
 */
public final class Frames {
    public static final int HEADER_BYTES = 9;

    private Frames() {
    }

    public record Header(int type, int length) {
    }

    /** Frame-size limits: large for blocks and block-consensus messages (a PrePrepare carries a block). */
    public record SizeLimits(int smallBytes, int largeBytes) {
        public int forType(int type) {
            return type == WireMessage.CONSENSUS || type == WireMessage.BLOCKS ? largeBytes : smallBytes;
        }
    }

    public static byte[] encode(int magic, WireMessage m) {
        Writer w = new Writer(128);
        w.u32(magic & 0xFFFFFFFFL).u8(m.type()).u32(0);
        m.encodeBody(w);
        byte[] frame = w.toByteArray();
        int length = frame.length - HEADER_BYTES;
        frame[5] = (byte) (length >>> 24);
        frame[6] = (byte) (length >>> 16);
        frame[7] = (byte) (length >>> 8);
        frame[8] = (byte) length;
        return frame;
    }

    /** A frame around a body that is already encoded (e.g. blocks served as stored). */
    public static byte[] encodeRaw(int magic, int type, byte[] body) {
        Writer w = new Writer(HEADER_BYTES + body.length);
        w.u32(magic & 0xFFFFFFFFL).u8(type).u32(body.length).raw(body);
        return w.toByteArray();
    }

    /** Reads and checks a header: wrong magic, unknown type or an over-limit length are protocol errors. */
    public static Header decodeHeader(byte[] header, int expectedMagic, SizeLimits limits) {
        if (header.length != HEADER_BYTES) throw new ProtocolException(Reason.TRUNCATED, "frame header");
        int magic = readInt(header, 0);
        if (magic != expectedMagic) {
            boolean otherNetwork = (magic & 0xFFFFFF00) == (expectedMagic & 0xFFFFFF00);
            throw new ProtocolException(otherNetwork ? Reason.WRONG_NETWORK : Reason.INVALID_VALUE, String.format("%s: magic %08x (expected %08x)",
                    otherNetwork ? "frame of another network" : "not a TimeCoin frame", magic, expectedMagic));
        }
        int type = header[4] & 0xFF;
        if (type < WireMessage.HELLO || type > WireMessage.REJECT) throw new ProtocolException(Reason.UNKNOWN_TYPE, "wire message type " + type);
        long length = readInt(header, 5) & 0xFFFFFFFFL;
        if (length > limits.forType(type)) {
            throw new ProtocolException(Reason.TOO_LARGE, "frame of type " + type + " with " + length + " bytes (limit " + limits.forType(type) + ")");
        }
        return new Header(type, (int) length);
    }

    private static int readInt(byte[] b, int at) {
        return (b[at] & 0xFF) << 24 | (b[at + 1] & 0xFF) << 16 | (b[at + 2] & 0xFF) << 8 | b[at + 3] & 0xFF;
    }
}
