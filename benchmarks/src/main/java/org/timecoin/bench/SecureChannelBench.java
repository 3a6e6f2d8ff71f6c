package org.timecoin.bench;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.wire.SecureChannel;

/**
 * What the sealed p2p channel costs (ChaCha20-Poly1305, BouncyCastle): one record sealed by one side and opened by the
 * other, per frame size. Score: records per second; MiB/s = score × size / 2^20 (each byte sealed once and opened once).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class SecureChannelBench {
    @Param({"200", "16384", "1048576"})
    public int size;

    private SecureChannel a;
    private SecureChannel b;
    private byte[] frame;

    @Setup
    public void setup() {
        byte[] ka = new byte[32];
        byte[] kb = new byte[32];
        Arrays.fill(ka, (byte) 1);
        Arrays.fill(kb, (byte) 2);
        var ea = SecureChannel.Ephemeral.fromPrivate(ka);
        var eb = SecureChannel.Ephemeral.fromPrivate(kb);
        a = SecureChannel.establish(ea, eb.publicKey(), Hash.ZERO);
        b = SecureChannel.establish(eb, ea.publicKey(), Hash.ZERO);
        frame = new byte[size];
    }

    @Benchmark
    public byte[] sealAndOpen() {
        byte[] record = a.seal(frame);
        return b.open(Arrays.copyOf(record, 4), Arrays.copyOfRange(record, 4, record.length));
    }
}
