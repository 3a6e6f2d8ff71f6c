package org.timecoin.bench;

import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.crypto.Signature;

/** Ed25519 sign/verify per second on one thread: BouncyCastle (what the protocol uses) against the JDK's SunEC provider. */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class Ed25519Bench {
    private final byte[] message = new byte[128];
    private KeyPair bcKey;
    private Signature bcSignature;
    /** Keys seen for the first time: more than PublicKey's cache of decoded keys holds, each verified from its bytes. */
    private static final int FRESH_KEYS = 20_000;
    private byte[][] freshKeys;
    private Signature[] freshSignatures;
    private int next;
    private java.security.KeyPair jdkKey;
    private byte[] jdkSignature;

    @Setup
    public void setup() throws Exception {
        new SecureRandom().nextBytes(message);
        bcKey = Ed25519Keys.deterministic("bench", "key", 0);
        bcSignature = bcKey.sign(message);
        freshKeys = new byte[FRESH_KEYS][];
        freshSignatures = new Signature[FRESH_KEYS];
        for (int i = 0; i < FRESH_KEYS; i++) {
            KeyPair k = Ed25519Keys.deterministic("bench", "fresh", i);
            freshKeys[i] = k.publicKey().toByteArray();
            freshSignatures[i] = k.sign(message);
        }
        jdkKey = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        java.security.Signature s = java.security.Signature.getInstance("Ed25519");
        s.initSign(jdkKey.getPrivate());
        s.update(message);
        jdkSignature = s.sign();
    }

    @Benchmark
    public boolean bouncyCastleVerify() {
        return Ed25519Keys.verify(bcKey.publicKey(), message, bcSignature);
    }

    /** A wallet's key is usually new to the node: its point is decoded and checked before the verification. */
    @Benchmark
    public boolean bouncyCastleVerifyFreshKey() {
        int i = next++ % FRESH_KEYS;
        return Ed25519Keys.verify(new PublicKey(freshKeys[i]), message, freshSignatures[i]);
    }

    @Benchmark
    public Signature bouncyCastleSign() {
        return bcKey.sign(message);
    }

    @Benchmark
    public boolean jdkVerify() throws Exception {
        java.security.Signature s = java.security.Signature.getInstance("Ed25519");
        s.initVerify(jdkKey.getPublic());
        s.update(message);
        return s.verify(jdkSignature);
    }

    @Benchmark
    public byte[] jdkSign() throws Exception {
        java.security.Signature s = java.security.Signature.getInstance("Ed25519");
        s.initSign(jdkKey.getPrivate());
        s.update(message);
        return s.sign();
    }
}
