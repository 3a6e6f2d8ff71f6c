package org.timecoin.protocol.codec;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;

import org.timecoin.protocol.codec.ProtocolException.Reason;

/**
 * Strict decoder over a byte array. Every read checks bounds and throws {@link ProtocolException}; lists and
 * byte strings have hard upper bounds checked before anything is allocated.
 */
public final class Reader {
    private final byte[] buf;
    private int pos;

    public Reader(byte[] buf) {
        this.buf = buf;
    }

    /** Decodes a whole buffer with {@code decoder}; anything left over is an error. */
    public static <T> T decodeExactly(byte[] bytes, int maxSize, Function<Reader, T> decoder) {
        if (bytes == null) throw new ProtocolException(Reason.TRUNCATED, "no input");
        if (bytes.length > maxSize) {
            throw new ProtocolException(Reason.TOO_LARGE, bytes.length + " bytes, limit " + maxSize);
        }
        Reader r = new Reader(bytes);
        T value = decoder.apply(r);
        r.expectEnd();
        return value;
    }

    private void need(int n) {
        if (n < 0 || buf.length - pos < n) {
            throw new ProtocolException(Reason.TRUNCATED, "need " + n + " bytes at offset " + pos + ", have " + (buf.length - pos));
        }
    }

    public int position() {
        return pos;
    }

    public int remaining() {
        return buf.length - pos;
    }

    /** The bytes between two positions of this reader (used to hash an encoded prefix without re-encoding). */
    public byte[] slice(int from, int to) {
        byte[] out = new byte[to - from];
        System.arraycopy(buf, from, out, 0, out.length);
        return out;
    }

    public void expectEnd() {
        if (pos != buf.length) {
            throw new ProtocolException(Reason.TRAILING_BYTES, (buf.length - pos) + " unexpected bytes at offset " + pos);
        }
    }

    public int u8() {
        need(1);
        return buf[pos++] & 0xFF;
    }

    /** The byte {@code offset} bytes ahead, without consuming anything. */
    public int peekU8(int offset) {
        need(offset + 1);
        return buf[pos + offset] & 0xFF;
    }

    public int u16() {
        need(2);
        int v = ((buf[pos] & 0xFF) << 8) | (buf[pos + 1] & 0xFF);
        pos += 2;
        return v;
    }

    public long u32() {
        need(4);
        long v = ((long) (buf[pos] & 0xFF) << 24) | ((buf[pos + 1] & 0xFF) << 16) | ((buf[pos + 2] & 0xFF) << 8)
                | (buf[pos + 3] & 0xFF);
        pos += 4;
        return v;
    }

    public long u64() {
        need(8);
        long v = 0;
        for (int i = 0; i < 8; i++) v = (v << 8) | (buf[pos + i] & 0xFF);
        pos += 8;
        return v;
    }

    /** A u32 that must lie in [min, max]; used for counts, indexes and rounds. */
    public int u32InRange(String what, long min, long max) {
        long v = u32();
        if (v < min || v > max) throw new ProtocolException(Reason.INVALID_VALUE, what + " " + v + " outside [" + min + ", " + max + "]");
        return (int) v;
    }

    /** A u64 that must be in [0, 2^63-1] (heights, timestamps). */
    public long u63(String what) {
        long v = u64();
        if (v < 0) throw new ProtocolException(Reason.INVALID_VALUE, what + " exceeds 2^63-1");
        return v;
    }

    public byte[] raw(int n) {
        need(n);
        byte[] out = new byte[n];
        System.arraycopy(buf, pos, out, 0, n);
        pos += n;
        return out;
    }

    public byte[] bytes(int maxLength) {
        long len = u32();
        if (len > maxLength) throw new ProtocolException(Reason.LENGTH_OUT_OF_RANGE, "byte string of " + len + ", limit " + maxLength);
        return raw((int) len);
    }

    public String string(int maxBytes) {
        int len = u16();
        if (len > maxBytes) throw new ProtocolException(Reason.LENGTH_OUT_OF_RANGE, "string of " + len + " bytes, limit " + maxBytes);
        byte[] utf8 = raw(len);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(utf8)).toString();
        } catch (CharacterCodingException e) {
            throw new ProtocolException(Reason.INVALID_VALUE, "string is not valid UTF-8");
        }
    }

    public <T> List<T> list(int maxCount, Function<Reader, T> element) {
        long count = u32();
        if (count > maxCount) throw new ProtocolException(Reason.LENGTH_OUT_OF_RANGE, "list of " + count + ", limit " + maxCount);
        // Do not trust the count for allocation beyond what the remaining bytes could hold.
        List<T> out = new ArrayList<>((int) Math.min(count, remaining()));
        for (long i = 0; i < count; i++) out.add(element.apply(this));
        return Collections.unmodifiableList(out);
    }

    public boolean bool() {
        int v = u8();
        if (v > 1) throw new ProtocolException(Reason.INVALID_VALUE, "boolean byte " + v);
        return v == 1;
    }
}
