package org.timecoin.protocol.crypto;

import org.timecoin.protocol.codec.Hex;
import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.codec.Reader;
import org.timecoin.protocol.codec.Writer;

/** A 32-byte SHA-256 digest. */
public final class Hash extends FixedBytes {
    public static final int LENGTH = 32;
    public static final Hash ZERO = new Hash(new byte[LENGTH]);

    public Hash(byte[] bytes) {
        super(bytes, LENGTH);
    }

    public static Hash fromHex(String hex) {
        byte[] b = Hex.decode(hex);
        if (b.length != LENGTH) {
            throw new ProtocolException(ProtocolException.Reason.LENGTH_OUT_OF_RANGE, "Hash needs " + LENGTH + " bytes");
        }
        return new Hash(b);
    }

    public static Hash read(Reader r) {
        return new Hash(r.raw(LENGTH));
    }

    public void write(Writer w) {
        w.raw(unsafeBytes());
    }
}
