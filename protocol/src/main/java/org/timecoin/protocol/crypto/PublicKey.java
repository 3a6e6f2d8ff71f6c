package org.timecoin.protocol.crypto;

import org.timecoin.protocol.codec.Hex;
import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.codec.Reader;
import org.timecoin.protocol.codec.Writer;

/** An Ed25519 public key (RFC 8032 encoding). */
public final class PublicKey extends FixedBytes {
    public static final int LENGTH = 32;

    public PublicKey(byte[] bytes) {
        super(bytes, LENGTH);
    }

    public static PublicKey fromHex(String hex) {
        byte[] b = Hex.decode(hex);
        if (b.length != LENGTH) {
            throw new ProtocolException(ProtocolException.Reason.LENGTH_OUT_OF_RANGE, "PublicKey needs " + LENGTH + " bytes");
        }
        return new PublicKey(b);
    }

    public static PublicKey read(Reader r) {
        return new PublicKey(r.raw(LENGTH));
    }

    public void write(Writer w) {
        w.raw(unsafeBytes());
    }
}
