package org.timecoin.protocol.codec;

/** An object with exactly one canonical byte encoding. */
public interface Encodable {
    void encode(Writer w);

    default byte[] toBytes() {
        Writer w = new Writer();
        encode(w);
        return w.toByteArray();
    }
}
