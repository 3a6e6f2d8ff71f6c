package org.timecoin.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import org.timecoin.protocol.codec.Hex;
import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.crypto.Signature;

class CryptoTest {
    // RFC 8032 §7.1, TEST 1 (empty message)
    private static final String SECRET = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    private static final String PUBLIC = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    private static final String SIG = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

    @Test
    void matchesRfc8032() {
        var key = Ed25519Keys.fromPrivateKey(Hex.decode(SECRET));
        assertThat(key.publicKey().hex()).isEqualTo(PUBLIC);
        assertThat(key.sign(new byte[0]).hex()).isEqualTo(SIG);
        assertThat(Ed25519Keys.verify(PublicKey.fromHex(PUBLIC), new byte[0], Signature.fromHex(SIG))).isTrue();
        assertThat(Ed25519Keys.verify(PublicKey.fromHex(PUBLIC), new byte[] {0}, Signature.fromHex(SIG))).isFalse();
    }

    @Test
    void invalidAndSmallOrderKeysNeverVerifyAndNeverThrow() {
        Signature sig = Signature.fromHex(SIG);
        String identity = "01" + "00".repeat(31);
        String notOnCurveOrNonCanonical = "ff".repeat(32);
        for (String bad : new String[] {identity, notOnCurveOrNonCanonical, "00".repeat(32)}) {
            assertThat(Ed25519Keys.verify(PublicKey.fromHex(bad), new byte[0], sig)).as(bad).isFalse();
        }
    }

    /** The eight points of small order (and their non-canonical encodings): anyone could sign for such a key. */
    static final String[] SMALL_ORDER_KEYS = {
            "01" + "00".repeat(31), // identity
            "ec" + "ff".repeat(30) + "7f", // order 2
            "00".repeat(32), "00".repeat(31) + "80", // order 4
            "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
            "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
            "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
            "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
            "ed" + "ff".repeat(30) + "7f", "ee" + "ff".repeat(30) + "7f"}; // p and p + 1: non-canonical 0 and 1

    @Test
    void everySmallOrderKeyIsRefusedEvenWithASignatureThatWouldSatisfyTheEquation() {
        // for the identity key, [k]A is the identity whatever k is, so R = [S]B with any S satisfies [S]B = R + [k]A:
        // here S = 1 and R = B (the base point's encoding), a "signature" anyone can make for any message
        String basePoint = "5866666666666666666666666666666666666666666666666666666666666666";
        Signature forged = Signature.fromHex(basePoint + "01" + "00".repeat(31));
        assertThat(Ed25519Keys.verify(PublicKey.fromHex("01" + "00".repeat(31)), new byte[] {1, 2, 3}, forged)).isFalse();
        for (String key : SMALL_ORDER_KEYS) {
            assertThat(Ed25519Keys.verify(PublicKey.fromHex(key), new byte[0], Signature.fromHex(SIG))).as(key).isFalse();
            assertThat(Ed25519Keys.verifyRemembered(PublicKey.fromHex(key), Hash.ZERO, forged)).as(key).isFalse();
        }
    }

    @Test
    void keyToStringNeverShowsThePrivateKey() {
        var key = Ed25519Keys.fromPrivateKey(Hex.decode(SECRET));
        assertThat(key.toString()).contains(PUBLIC).doesNotContain(SECRET);
    }

    /** A remembered success never vouches for anything else: another signature, digest or key is checked afresh. */
    @Test
    void aRememberedVerificationCoversExactlyItsTriple() {
        var signer = Ed25519Keys.deterministic("crypto-test", "cache", 0);
        var other = Ed25519Keys.deterministic("crypto-test", "cache", 1);
        var digest = org.timecoin.protocol.crypto.Hashes.tagged(org.timecoin.protocol.crypto.HashTag.TX, "cached".getBytes());
        var digest2 = org.timecoin.protocol.crypto.Hashes.tagged(org.timecoin.protocol.crypto.HashTag.TX, "other".getBytes());
        Signature good = signer.sign(digest);
        assertThat(Ed25519Keys.verifyRemembered(signer.publicKey(), digest, good)).isTrue();
        assertThat(Ed25519Keys.verifyRemembered(signer.publicKey(), digest, good)).as("again, remembered").isTrue();
        byte[] bad = good.toByteArray();
        bad[5] ^= 1;
        assertThat(Ed25519Keys.verifyRemembered(signer.publicKey(), digest, new Signature(bad))).isFalse();
        assertThat(Ed25519Keys.verifyRemembered(other.publicKey(), digest, good)).isFalse();
        assertThat(Ed25519Keys.verifyRemembered(signer.publicKey(), digest2, good)).isFalse();
    }

    @Test
    void cachedPointIsSafeAcrossThreads() throws Exception {
        var key = Ed25519Keys.fromPrivateKey(Hex.decode(SECRET));
        byte[] msg = "concurrent".getBytes();
        Signature sig = key.sign(msg);
        var pool = Executors.newFixedThreadPool(4);
        try {
            for (int round = 0; round < 50; round++) {
                PublicKey fresh = PublicKey.fromHex(PUBLIC); // not yet decoded: threads race on the first decode
                List<Future<Boolean>> results = new ArrayList<>();
                for (int t = 0; t < 4; t++) results.add(pool.submit((Callable<Boolean>) () -> Ed25519Keys.verify(fresh, msg, sig)));
                for (Future<Boolean> f : results) assertThat(f.get()).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
