package org.timecoin.protocol.crypto;

import org.timecoin.protocol.codec.Hex;
import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.codec.Reader;
import org.timecoin.protocol.codec.Writer;

/** The 20-byte hash that outputs lock to: the first 20 bytes of H("TIMECOIN/keyhash", public key). */
public final class KeyHash extends FixedBytes {
    public static final int LENGTH = 20;

    public KeyHash(byte[] bytes) {
        super(bytes, LENGTH);
    }

    public static KeyHash fromHex(String hex) {
        byte[] b = Hex.decode(hex);
        if (b.length != LENGTH) {
            throw new ProtocolException(ProtocolException.Reason.LENGTH_OUT_OF_RANGE, "KeyHash needs " + LENGTH + " bytes");
        }
        return new KeyHash(b);
    }

    public static KeyHash read(Reader r) {
        return new KeyHash(r.raw(LENGTH));
    }

    public void write(Writer w) {
        w.raw(unsafeBytes());
    }
}
