package org.timecoin.protocol.crypto;

import java.util.concurrent.ConcurrentHashMap;

import org.bouncycastle.math.ec.rfc8032.Ed25519;
import org.timecoin.protocol.codec.Hex;
import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.codec.Reader;
import org.timecoin.protocol.codec.Writer;

/** An Ed25519 public key (RFC 8032 encoding). */
public final class PublicKey extends FixedBytes {
    public static final int LENGTH = 32;

    private static final Object INVALID = new Object();

    // The decoded curve point (or INVALID), computed on first verification: validators' keys are verified against
    // again and again, and decoding (a square root in the field) is a noticeable part of each verification.
    // One volatile reference, so a thread sees either nothing yet or the complete result.
    private volatile Object decoded;

    public PublicKey(byte[] bytes) {
        super(bytes, LENGTH);
    }

    /**
     * The decoded point, or null if these bytes are not a valid Ed25519 public key: a canonical encoding of a curve
     * point that is not of small order (for those eight points anyone can make a signature that verifies). As in
     * libsodium, the key is not also checked to be of prime order: that check is a second scalar multiplication, as dear
     * as the verification itself (measured: ~95 µs each, against ~10 µs for this decoding), paid on the first use of
     * every wallet key; a key with a small-order component still needs its private key to sign, and every node runs this
     * same verification, so all agree on every signature.
     */
    Ed25519.PublicPoint point() {
        Object d = decoded;
        if (d == null) {
            d = RECENT.get(this); // the same validators' keys arrive in every decoded vote and certificate
            if (d == null) {
                Ed25519.PublicPoint p = Ed25519.validatePublicKeyPartialExport(unsafeBytes(), 0);
                d = p == null ? INVALID : p;
                if (RECENT.size() >= RECENT_CAPACITY) RECENT.clear(); // bounded: a flood of fresh keys costs only re-decoding
                RECENT.put(this, d);
            }
            decoded = d;
        }
        return d == INVALID ? null : (Ed25519.PublicPoint) d;
    }

    private static final int RECENT_CAPACITY = 4096;
    // Decoded points by key bytes, across instances: each decoded message makes new PublicKey objects.
    private static final ConcurrentHashMap<PublicKey, Object> RECENT = new ConcurrentHashMap<>();

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
