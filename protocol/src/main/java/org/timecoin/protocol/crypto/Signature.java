package org.timecoin.protocol.crypto;

import org.timecoin.protocol.codec.Hex;
import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.codec.Reader;
import org.timecoin.protocol.codec.Writer;

/** An Ed25519 signature (R ‖ S). */
public final class Signature extends FixedBytes {
    public static final int LENGTH = 64;

    public Signature(byte[] bytes) {
        super(bytes, LENGTH);
    }

    public static Signature fromHex(String hex) {
        byte[] b = Hex.decode(hex);
        if (b.length != LENGTH) {
            throw new ProtocolException(ProtocolException.Reason.LENGTH_OUT_OF_RANGE, "Signature needs " + LENGTH + " bytes");
        }
        return new Signature(b);
    }

    public static Signature read(Reader r) {
        return new Signature(r.raw(LENGTH));
    }

    public void write(Writer w) {
        w.raw(unsafeBytes());
    }
}
