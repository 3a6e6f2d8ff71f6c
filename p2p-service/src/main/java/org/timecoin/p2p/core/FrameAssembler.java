package org.timecoin.p2p.core;

import java.util.ArrayList;
import java.util.List;

import org.timecoin.protocol.wire.Frames;

/**
 * Cuts a byte stream into frames. The header is checked (magic, type, length within the limit for its type) before
 * any body byte is buffered, so an announced oversized frame costs nothing. Throws ProtocolException on a bad header.
 */
public final class FrameAssembler {
    public record Frame(int type, byte[] body) {
    }

    private final int magic;
    private final Frames.SizeLimits limits;
    private final byte[] header = new byte[Frames.HEADER_BYTES];
    private int headerFill;
    private int type;
    private byte[] body;
    private int bodyFill;

    public FrameAssembler(int magic, Frames.SizeLimits limits) {
        this.magic = magic;
        this.limits = limits;
    }

    public List<Frame> feed(byte[] chunk) {
        List<Frame> frames = new ArrayList<>(1);
        int at = 0;
        while (at < chunk.length) {
            if (body == null) {
                int n = Math.min(Frames.HEADER_BYTES - headerFill, chunk.length - at);
                System.arraycopy(chunk, at, header, headerFill, n);
                headerFill += n;
                at += n;
                if (headerFill < Frames.HEADER_BYTES) break;
                Frames.Header h = Frames.decodeHeader(header, magic, limits);
                type = h.type();
                body = new byte[h.length()];
                bodyFill = 0;
                headerFill = 0;
            }
            int n = Math.min(body.length - bodyFill, chunk.length - at);
            System.arraycopy(chunk, at, body, bodyFill, n);
            bodyFill += n;
            at += n;
            if (bodyFill == body.length) {
                frames.add(new Frame(type, body));
                body = null;
            }
        }
        return frames;
    }

    /** Bytes of a frame received so far but not complete (for memory accounting). */
    public int pendingBytes() {
        return body == null ? headerFill : bodyFill;
    }
}
