package org.timecoin.p2p.core;

import java.util.Arrays;

import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.codec.ProtocolException.Reason;
import org.timecoin.protocol.wire.Frames;
import org.timecoin.protocol.wire.SecureChannel;

/**
 * Cuts a connection's byte stream into frames: plain frames until {@link #seal} (the Hello), then sealed records
 * ({@link SecureChannel}). Bytes are buffered as they arrive, never by what a header claims, and a header or a record
 * length over the caller's limit is refused before its body is read (a sealed one as {@link SecureChannel.Broken}: its
 * length is authenticated only once it opens). One frame at a time ({@link #next}), so that the
 * caller can switch to sealed records right after the frame that carries the keys.
 */
public final class ChannelReader {
    public record Frame(int type, byte[] body) {
    }

    private final int magic;
    private final Frames.SizeLimits limits;
    private byte[] buffer = new byte[256];
    private int start;
    private int end;
    private SecureChannel channel;

    public ChannelReader(int magic, Frames.SizeLimits limits) {
        this.magic = magic;
        this.limits = limits;
    }

    /** Buffers {@code chunk}; refuses more unread bytes than one largest record and a read's worth after it. */
    public void feed(byte[] chunk) {
        if (end - start + chunk.length > limits.largeBytes() + Frames.HEADER_BYTES + SecureChannel.OVERHEAD + (1 << 16)) {
            throw new ProtocolException(Reason.TOO_LARGE, "more unread bytes than a frame");
        }
        if (end + chunk.length > buffer.length) {
            int unread = end - start;
            byte[] grown = unread + chunk.length > buffer.length ? new byte[Math.max(2 * buffer.length, unread + chunk.length)] : buffer;
            System.arraycopy(buffer, start, grown, 0, unread);
            buffer = grown;
            start = 0;
            end = unread;
        }
        System.arraycopy(chunk, 0, buffer, end, chunk.length);
        end += chunk.length;
    }

    /** From the next byte on, frames arrive sealed with {@code channel}. */
    public void seal(SecureChannel channel) {
        this.channel = channel;
    }

    /**
     * The next complete frame, or null when more bytes are needed. {@code maxBody}: the largest body this peer may send
     * now (small until it is an authenticated masternode). Throws ProtocolException on a bad header or an over-limit
     * length, {@link SecureChannel.Broken} on a record that does not open.
     */
    public Frame next(int maxBody) {
        if (channel == null) {
            if (end - start < Frames.HEADER_BYTES) return null;
            Frames.Header h = Frames.decodeHeader(Arrays.copyOfRange(buffer, start, start + Frames.HEADER_BYTES), magic, limits);
            if (h.length() > maxBody) throw new ProtocolException(Reason.TOO_LARGE, "frame of " + h.length() + " bytes before authentication");
            if (end - start < Frames.HEADER_BYTES + h.length()) return null;
            byte[] body = Arrays.copyOfRange(buffer, start + Frames.HEADER_BYTES, start + Frames.HEADER_BYTES + h.length());
            start += Frames.HEADER_BYTES + h.length();
            return new Frame(h.type(), body);
        }
        if (end - start < 4) return null;
        long n = (buffer[start] & 0xFFL) << 24 | (buffer[start + 1] & 0xFF) << 16 | (buffer[start + 2] & 0xFF) << 8 | buffer[start + 3] & 0xFF;
        if (n > (long) maxBody + Frames.HEADER_BYTES + SecureChannel.TAG_BYTES) {
            // the length is not authenticated before the record opens: anyone on the path could have written it
            throw new SecureChannel.Broken("sealed record of " + n + " bytes (limit " + (maxBody + Frames.HEADER_BYTES + SecureChannel.TAG_BYTES) + ")");
        }
        if (end - start < 4 + n) return null;
        byte[] prefix = Arrays.copyOfRange(buffer, start, start + 4);
        byte[] ciphertext = Arrays.copyOfRange(buffer, start + 4, start + 4 + (int) n);
        start += 4 + (int) n;
        byte[] frame = channel.open(prefix, ciphertext);
        if (frame.length < Frames.HEADER_BYTES) throw new ProtocolException(Reason.TRUNCATED, "sealed frame shorter than a header");
        Frames.Header h = Frames.decodeHeader(Arrays.copyOf(frame, Frames.HEADER_BYTES), magic, limits);
        if (h.length() != frame.length - Frames.HEADER_BYTES) throw new ProtocolException(Reason.INVALID_VALUE, "sealed frame length mismatch");
        return new Frame(h.type(), Arrays.copyOfRange(frame, Frames.HEADER_BYTES, frame.length));
    }

    /** Bytes received but not yet taken as frames (for memory accounting). */
    public int pendingBytes() {
        return end - start;
    }
}
