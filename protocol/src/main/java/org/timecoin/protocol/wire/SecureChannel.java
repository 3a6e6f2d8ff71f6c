package org.timecoin.protocol.wire;

import java.security.SecureRandom;
import java.util.Arrays;

import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.math.ec.rfc7748.X25519;
import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.codec.ProtocolException.Reason;
import org.timecoin.protocol.crypto.Hash;

/**
 * The encrypted, authenticated channel of a p2p connection (PROTOCOL.md, "Transport"). Each side puts an ephemeral
 * X25519 key in its Hello; both derive, from the Diffie-Hellman secret and the transcript of the two Hellos,
 * one ChaCha20-Poly1305 key per direction (HKDF-SHA256). From then on every frame travels as a sealed record:
 * {@code u32 n ‖ ciphertext (n bytes: the frame, then a 16-byte tag)}, the nonce being the direction's record counter
 * (4 zero bytes ‖ u64), the length prefix its associated data. A record that fails to open was not written by the
 * peer that holds the other half of the secret: someone on the path altered or injected it. The Auth that follows
 * signs the transcript, so a relay that swapped ephemeral keys cannot make either side accept it.
 * Not thread-safe: a connection seals in the order it writes.
 */
public final class SecureChannel {
    public static final int KEY_BYTES = 32;
    public static final int TAG_BYTES = 16;
    /** Length prefix and tag around each sealed frame. */
    public static final int OVERHEAD = 4 + TAG_BYTES;
    private static final byte[] INFO = "TIMECOIN/p2p-keys v2".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** An ephemeral X25519 key pair, one per connection. */
    public record Ephemeral(byte[] privateKey, byte[] publicKey) {
        public static Ephemeral generate(SecureRandom random) {
            byte[] priv = new byte[X25519.SCALAR_SIZE];
            random.nextBytes(priv);
            return fromPrivate(priv);
        }

        /** For vectors and tests: a fixed private key. */
        public static Ephemeral fromPrivate(byte[] privateKey) {
            byte[] pub = new byte[X25519.POINT_SIZE];
            X25519.scalarMultBase(privateKey, 0, pub, 0);
            return new Ephemeral(privateKey.clone(), pub);
        }
    }

    private final ChaCha20Poly1305 sealer = new ChaCha20Poly1305();
    private final ChaCha20Poly1305 opener = new ChaCha20Poly1305();
    private final KeyParameter sendKey;
    private final KeyParameter receiveKey;
    private long sent;
    private long received;

    private SecureChannel(byte[] sendKey, byte[] receiveKey) {
        this.sendKey = new KeyParameter(sendKey);
        this.receiveKey = new KeyParameter(receiveKey);
    }

    /**
     * The channel of one side: {@code own} its ephemeral key, {@code peerPublic} the peer's, {@code transcript} the hash
     * both sides compute over the two Hellos. The side whose ephemeral public key is lower (unsigned, byte by byte)
     * sends with the first derived key. Refuses a peer key equal to its own (a reflected Hello) and a key that gives
     * an all-zero secret (a low-order point: the secret would be known to anyone).
     */
    public static SecureChannel establish(Ephemeral own, byte[] peerPublic, Hash transcript) {
        if (peerPublic.length != X25519.POINT_SIZE) throw new ProtocolException(Reason.INVALID_VALUE, "ephemeral key length");
        int order = Arrays.compareUnsigned(own.publicKey(), peerPublic);
        if (order == 0) throw new ProtocolException(Reason.INVALID_VALUE, "the peer's ephemeral key is this side's own");
        byte[] shared = new byte[X25519.POINT_SIZE];
        if (!X25519.calculateAgreement(own.privateKey(), 0, peerPublic, 0, shared, 0)) {
            throw new ProtocolException(Reason.INVALID_VALUE, "ephemeral key of small order");
        }
        HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
        hkdf.init(new HKDFParameters(shared, transcript.toByteArray(), INFO));
        byte[] keys = new byte[2 * KEY_BYTES];
        hkdf.generateBytes(keys, 0, keys.length);
        byte[] first = Arrays.copyOfRange(keys, 0, KEY_BYTES);
        byte[] second = Arrays.copyOfRange(keys, KEY_BYTES, 2 * KEY_BYTES);
        return order < 0 ? new SecureChannel(first, second) : new SecureChannel(second, first);
    }

    /** {@code u32 n ‖ ciphertext}: the next record of this side. */
    public byte[] seal(byte[] frame) {
        int n = frame.length + TAG_BYTES;
        byte[] record = new byte[4 + n];
        writeLength(record, n);
        sealer.init(true, new AEADParameters(sendKey, TAG_BYTES * 8, nonce(sent++), Arrays.copyOf(record, 4)));
        int len = sealer.processBytes(frame, 0, frame.length, record, 4);
        try {
            sealer.doFinal(record, 4 + len);
        } catch (InvalidCipherTextException e) {
            throw new IllegalStateException(e);
        }
        return record;
    }

    /**
     * Opens the next record of the peer, given its length prefix and ciphertext. Throws {@link Broken} when it does not
     * open: altered, injected, replayed or reordered.
     */
    public byte[] open(byte[] lengthPrefix, byte[] ciphertext) {
        if (ciphertext.length < TAG_BYTES) throw new Broken("record shorter than its tag");
        opener.init(false, new AEADParameters(receiveKey, TAG_BYTES * 8, nonce(received), lengthPrefix));
        byte[] frame = new byte[ciphertext.length - TAG_BYTES];
        int len = opener.processBytes(ciphertext, 0, ciphertext.length, frame, 0);
        try {
            opener.doFinal(frame, len);
        } catch (InvalidCipherTextException e) {
            throw new Broken("record " + received + " does not open: altered or not from the peer");
        }
        received++;
        return frame;
    }

    /** A record that does not open: the connection is no longer the peer's alone. */
    public static final class Broken extends RuntimeException {
        public Broken(String message) {
            super(message);
        }
    }

    private static byte[] nonce(long counter) {
        byte[] n = new byte[12];
        for (int i = 0; i < 8; i++) n[4 + i] = (byte) (counter >>> (56 - 8 * i));
        return n;
    }

    private static void writeLength(byte[] b, int n) {
        b[0] = (byte) (n >>> 24);
        b[1] = (byte) (n >>> 16);
        b[2] = (byte) (n >>> 8);
        b[3] = (byte) n;
    }
}
