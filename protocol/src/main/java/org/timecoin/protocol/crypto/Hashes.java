package org.timecoin.protocol.crypto;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.EnumMap;
import java.util.Map;

/** Tagged SHA-256: {@code H(tag, data) = SHA-256(u8 len(tag) ‖ ascii(tag) ‖ data)}. */
public final class Hashes {
    // Digests that have already absorbed each tag prefix; cloned per use (cheaper than re-hashing the tag).
    private static final Map<HashTag, MessageDigest> PRIMED = new EnumMap<>(HashTag.class);

    static {
        for (HashTag tag : HashTag.values()) {
            MessageDigest d = sha256();
            d.update(tag.prefix());
            PRIMED.put(tag, d);
        }
    }

    private Hashes() {
    }

    public static Hash tagged(HashTag tag, byte[] data) {
        MessageDigest d = primed(tag);
        d.update(data);
        return new Hash(d.digest());
    }

    public static Hash tagged(HashTag tag, byte[]... parts) {
        MessageDigest d = primed(tag);
        for (byte[] p : parts) d.update(p);
        return new Hash(d.digest());
    }

    /** Plain SHA-256 (used only where the design names it: address checksums). */
    public static byte[] sha256(byte[] data) {
        return sha256().digest(data);
    }

    /** A fresh plain SHA-256 digest, for hashing in parts without copying them together. */
    public static MessageDigest sha256Digest() {
        return sha256();
    }

    public static byte[] doubleSha256(byte[] data) {
        return sha256(sha256(data));
    }

    public static KeyHash keyHash(PublicKey key) {
        byte[] full = tagged(HashTag.KEY_HASH, key.unsafeBytes()).unsafeBytes();
        byte[] out = new byte[KeyHash.LENGTH];
        System.arraycopy(full, 0, out, 0, out.length);
        return new KeyHash(out);
    }

    private static MessageDigest primed(HashTag tag) {
        try {
            return (MessageDigest) PRIMED.get(tag).clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("SHA-256 digest not cloneable", e);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }
}
