package org.timecoin.protocol.crypto;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;

import org.bouncycastle.math.ec.rfc8032.Ed25519;

/** Ed25519 (RFC 8032) through BouncyCastle's low-level implementation, the fastest measured here. */
public final class Ed25519Keys {
    static {
        Ed25519.precompute();
    }

    private Ed25519Keys() {
    }

    /** A key pair; {@link #toString()} never shows the private part. */
    public static final class KeyPair {
        private final byte[] privateKey;
        private final PublicKey publicKey;

        private KeyPair(byte[] privateKey) {
            if (privateKey.length != Ed25519.SECRET_KEY_SIZE) throw new IllegalArgumentException("private key must be 32 bytes");
            this.privateKey = privateKey.clone();
            byte[] pk = new byte[Ed25519.PUBLIC_KEY_SIZE];
            Ed25519.generatePublicKey(this.privateKey, 0, pk, 0);
            this.publicKey = new PublicKey(pk);
        }

        public PublicKey publicKey() {
            return publicKey;
        }

        public KeyHash keyHash() {
            return Hashes.keyHash(publicKey);
        }

        /** The 32-byte private seed, for keystores only. */
        public byte[] privateKeyBytes() {
            return privateKey.clone();
        }

        public Signature sign(byte[] message) {
            byte[] sig = new byte[Ed25519.SIGNATURE_SIZE];
            Ed25519.sign(privateKey, 0, publicKey.unsafeBytes(), 0, message, 0, message.length, sig, 0);
            return new Signature(sig);
        }

        public Signature sign(Hash digest) {
            return sign(digest.unsafeBytes());
        }

        @Override
        public String toString() {
            return "KeyPair[public=" + publicKey.hex() + "]";
        }
    }

    public static KeyPair fromPrivateKey(byte[] privateKey) {
        return new KeyPair(privateKey);
    }

    public static KeyPair generate(SecureRandom random) {
        byte[] sk = new byte[Ed25519.SECRET_KEY_SIZE];
        random.nextBytes(sk);
        return new KeyPair(sk);
    }

    /**
     * A deterministic key for tests and devnets: private key = H("TIMECOIN/devkey", seed ‖ 0x00 ‖ label ‖ u32 index).
     * Never use for real funds.
     */
    public static KeyPair deterministic(String seed, String label, int index) {
        byte[] s = seed.getBytes(StandardCharsets.UTF_8);
        byte[] l = label.getBytes(StandardCharsets.UTF_8);
        byte[] i = {(byte) (index >>> 24), (byte) (index >>> 16), (byte) (index >>> 8), (byte) index};
        return new KeyPair(Hashes.tagged(HashTag.DEV_KEY, s, new byte[] {0}, l, new byte[] {0}, i).toByteArray());
    }

    /** Strict RFC 8032 verification (rejects non-canonical S, invalid key encodings and small-order keys); never throws. */
    public static boolean verify(PublicKey key, byte[] message, Signature signature) {
        Ed25519.PublicPoint point = key.point();
        return point != null && Ed25519.verify(signature.unsafeBytes(), 0, point, message, 0, message.length);
    }

    public static boolean verify(PublicKey key, Hash digest, Signature signature) {
        return verify(key, digest.unsafeBytes(), signature);
    }

    /**
     * As {@link #verify(PublicKey, Hash, Signature)}, remembering successes (by the full key, digest and signature
     * bytes, so a hit is exactly a triple already proven valid). For signatures checked again and again: one signed vote
     * batch backs the finality certificates of every transaction in it, and each certificate is checked where it is
     * applied and again in every proposal that carries it. Bounded: the last 8,192 to 16,384 (about 2–4 MB).
     */
    public static boolean verifyRemembered(PublicKey key, Hash digest, Signature signature) {
        Verified v = new Verified(key, digest, signature);
        if (VERIFIED.contains(v)) return true;
        if (!verify(key, digest.unsafeBytes(), signature)) return false;
        VERIFIED.add(v);
        return true;
    }

    private record Verified(PublicKey key, Hash digest, Signature signature) {
    }

    private static final RecentSet<Verified> VERIFIED = new RecentSet<>(8_192);
}
