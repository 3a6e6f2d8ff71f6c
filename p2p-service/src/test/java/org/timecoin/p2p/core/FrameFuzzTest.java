package org.timecoin.p2p.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.timecoin.protocol.wire.WireMessage;

/**
 * Seeded fuzzing of the frame decoder and the handshake: mutated valid frames and random bytes, fed in random chunk
 * sizes to a fresh session. A session may only close (with a reason) or accept; it never throws, never hangs, and
 * never authenticates a peer without a valid Auth. {@code -Dtimecoin.fuzz.iterations=N} runs more (the
 * {@code fuzz} profile runs 1,000,000).
 */
class FrameFuzzTest {
    static final int ITERATIONS = Integer.getInteger("timecoin.fuzz.iterations", 20_000);

    @Test
    void randomAndMutatedInputNeverCrashesOrAuthenticates() {
        long seed = Long.getLong("timecoin.fuzz.seed", 20261125L);
        Random random = new Random(seed);
        PeerSession peer = PeerSessionTest.session(PeerSessionTest.A, 1, PeerSessionTest.policy(Set.of()));
        List<byte[]> valid = List.of(PeerSessionTest.frame(peer.hello(24200)), PeerSessionTest.frame(new WireMessage.Ping(1, 2)),
                PeerSessionTest.frame(new WireMessage.GetBlocks(1, 10)), PeerSessionTest.frame(new WireMessage.Reject(1, "x")),
                PeerSessionTest.frame(new WireMessage.Auth(new org.timecoin.protocol.crypto.Signature(new byte[64]))));
        int closed = 0;
        for (int i = 0; i < ITERATIONS; i++) {
            PeerSession s = PeerSessionTest.session(PeerSessionTest.B, 2, PeerSessionTest.policy(Set.of()));
            byte[] input = input(random, valid);
            try {
                int at = 0;
                while (at < input.length) {
                    int n = 1 + random.nextInt(Math.min(64, input.length - at));
                    byte[] chunk = java.util.Arrays.copyOfRange(input, at, at + n);
                    at += n;
                    for (PeerSession.Output o : s.onBytes(chunk, i)) {
                        assertThat(o).as("seed %d iteration %d", seed, i).isNotInstanceOf(PeerSession.Authenticated.class);
                        if (o instanceof PeerSession.Close) closed++;
                    }
                }
            } catch (RuntimeException e) {
                throw new AssertionError("seed " + seed + " iteration " + i + " input " + org.timecoin.protocol.codec.Hex.encode(input), e);
            }
            assertThat(s.state()).isNotEqualTo(PeerSession.State.READY);
        }
        assertThat(closed).as("most fuzzed inputs are refused").isGreaterThan(ITERATIONS / 2);
    }

    private static byte[] input(Random random, List<byte[]> valid) {
        if (random.nextInt(4) == 0) {
            byte[] b = new byte[random.nextInt(200)];
            random.nextBytes(b);
            return b;
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int frames = 1 + random.nextInt(3);
        for (int f = 0; f < frames; f++) {
            byte[] b = valid.get(random.nextInt(valid.size())).clone();
            int flips = random.nextInt(4);
            for (int k = 0; k < flips; k++) b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
            if (random.nextInt(5) == 0) b = java.util.Arrays.copyOf(b, random.nextInt(b.length + 1));
            out.writeBytes(b);
        }
        return out.toByteArray();
    }
}
