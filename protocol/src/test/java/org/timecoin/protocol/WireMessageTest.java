package org.timecoin.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.model.Network;
import org.timecoin.protocol.wire.Frames;
import org.timecoin.protocol.wire.WireMessage;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.wire.SecureChannel;
import org.timecoin.protocol.wire.WireMessage.Auth;

class WireMessageTest {
    static final int MAGIC = Network.DEVNET.magic();
    static final Frames.SizeLimits LIMITS = new Frames.SizeLimits(1 << 20, 64 << 20);

    static List<WireMessage> oneOfEach() {
        byte[] nonce = new byte[32];
        nonce[5] = 7;
        return List.of(new WireMessage.Hello(2, Fixtures.CHAIN, Fixtures.nodeKey(0).publicKey(), nonce, 12, 24200, ephemeral(1).publicKey()),
                Auth.sign(Fixtures.nodeKey(0), Hash.ZERO),
                new WireMessage.Ping(-5, 3), new WireMessage.Pong(-5, 4), new WireMessage.GetPeers(),
                new WireMessage.Peers(List.of(Fixtures.peerAddress())), new WireMessage.Txs(List.of(Fixtures.transfer())),
                new WireMessage.Consensus(Fixtures.prePrepare()), new WireMessage.Votes(Fixtures.voteBatch(1)), new WireMessage.GetBlocks(1, 100),
                new WireMessage.Blocks(List.of(new WireMessage.CertifiedBlock(Fixtures.block1(), Fixtures.commitCertificate()))),
                new WireMessage.Reject(3, "wrong chain"));
    }

    @Test
    void everyMessageRoundTripsThroughAFrame() {
        for (WireMessage m : oneOfEach()) {
            byte[] frame = Frames.encode(MAGIC, m);
            Frames.Header h = Frames.decodeHeader(Arrays.copyOf(frame, Frames.HEADER_BYTES), MAGIC, LIMITS);
            assertThat(h.type()).isEqualTo(m.type());
            assertThat(h.length()).isEqualTo(frame.length - Frames.HEADER_BYTES);
            WireMessage back = WireMessage.decodeBody(h.type(), Arrays.copyOfRange(frame, Frames.HEADER_BYTES, frame.length));
            assertThat(WireMessage.encodeBody(back)).as(m.getClass().getSimpleName()).isEqualTo(WireMessage.encodeBody(m));
        }
    }

    @Test
    void headersAreCheckedBeforeTheBody() {
        byte[] ping = Frames.encode(MAGIC, new WireMessage.Ping(1, 1));
        byte[] header = Arrays.copyOf(ping, Frames.HEADER_BYTES);
        assertThatThrownBy(() -> Frames.decodeHeader(header, Network.TESTNET.magic(), LIMITS)).hasMessageContaining("magic");
        byte[] unknown = header.clone();
        unknown[4] = 99;
        assertThatThrownBy(() -> Frames.decodeHeader(unknown, MAGIC, LIMITS)).isInstanceOf(ProtocolException.class)
                .extracting(e -> ((ProtocolException) e).reason()).isEqualTo(ProtocolException.Reason.UNKNOWN_TYPE);
        byte[] huge = header.clone();
        huge[5] = 0x10; // 268 MB announced for a small message
        assertThatThrownBy(() -> Frames.decodeHeader(huge, MAGIC, LIMITS)).extracting(e -> ((ProtocolException) e).reason())
                .isEqualTo(ProtocolException.Reason.TOO_LARGE);
        // the large limit applies to blocks and block-consensus messages only
        assertThat(LIMITS.forType(11)).isEqualTo(64 << 20);
        assertThat(LIMITS.forType(7)).isEqualTo(1 << 20);
    }

    @Test
    void trailingOrMissingBodyBytesAreRejected() {
        byte[] body = WireMessage.encodeBody(new WireMessage.Ping(1, 2));
        assertThatThrownBy(() -> WireMessage.decodeBody(3, Arrays.copyOf(body, body.length + 1))).isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> WireMessage.decodeBody(3, Arrays.copyOf(body, body.length - 1))).isInstanceOf(ProtocolException.class);
        byte[] zeroCount = WireMessage.encodeBody(new WireMessage.GetBlocks(1, 1));
        zeroCount[zeroCount.length - 1] = 0; // asking for 0 blocks is not a request
        assertThatThrownBy(() -> WireMessage.decodeBody(10, zeroCount)).isInstanceOf(ProtocolException.class);
    }

    static SecureChannel.Ephemeral ephemeral(int b) {
        byte[] k = new byte[32];
        Arrays.fill(k, (byte) b);
        return SecureChannel.Ephemeral.fromPrivate(k);
    }

    static WireMessage.Hello hello(int node, SecureChannel.Ephemeral e) {
        byte[] nonce = new byte[32];
        nonce[0] = (byte) node;
        return new WireMessage.Hello(2, Fixtures.CHAIN, Fixtures.nodeKey(node).publicKey(), nonce, 1, 24200 + node, e.publicKey());
    }

    @Test
    void authSignsTheTranscriptSoItIsWorthNothingOnAnotherConnectionOrChannel() {
        KeyPair a = Fixtures.nodeKey(0);
        var ea = ephemeral(1);
        var eb = ephemeral(2);
        Hash t = WireMessage.transcript(Fixtures.CHAIN, hello(0, ea), hello(1, eb));
        assertThat(WireMessage.transcript(Fixtures.CHAIN, hello(1, eb), hello(0, ea))).as("the same on both sides").isEqualTo(t);
        Auth auth = Auth.sign(a, t);
        assertThat(auth.valid(a.publicKey(), t)).isTrue();
        assertThat(auth.valid(Fixtures.nodeKey(1).publicKey(), t)).isFalse();
        // a relay that put its own ephemeral key in place of b's: another transcript, the Auth does not verify there
        Hash spliced = WireMessage.transcript(Fixtures.CHAIN, hello(0, ea), hello(1, ephemeral(3)));
        assertThat(auth.valid(a.publicKey(), spliced)).isFalse();
        assertThat(WireMessage.transcript(Fixtures.CHAIN + 1, hello(0, ea), hello(1, eb))).isNotEqualTo(t);
    }

    @Test
    void aSealedChannelOpensOnlyTheOtherSidesRecordsInOrderAndUntouched() {
        var ea = ephemeral(1);
        var eb = ephemeral(2);
        Hash t = WireMessage.transcript(Fixtures.CHAIN, hello(0, ea), hello(1, eb));
        SecureChannel a = SecureChannel.establish(ea, eb.publicKey(), t);
        SecureChannel b = SecureChannel.establish(eb, ea.publicKey(), t);
        byte[] ping = Frames.encode(MAGIC, new WireMessage.Ping(1, 2));
        byte[] r0 = a.seal(ping);
        byte[] r1 = a.seal(ping);
        assertThat(r0).as("a counter nonce: one plaintext, two ciphertexts").isNotEqualTo(r1);
        assertThat(r0).hasSize(ping.length + SecureChannel.OVERHEAD);
        assertThatThrownBy(() -> b.open(Arrays.copyOf(r1, 4), Arrays.copyOfRange(r1, 4, r1.length))).as("out of order")
                .isInstanceOf(SecureChannel.Broken.class);
        byte[] altered = r0.clone();
        altered[10] ^= 1;
        assertThatThrownBy(() -> b.open(Arrays.copyOf(altered, 4), Arrays.copyOfRange(altered, 4, altered.length))).isInstanceOf(SecureChannel.Broken.class);
        assertThat(b.open(Arrays.copyOf(r0, 4), Arrays.copyOfRange(r0, 4, r0.length))).isEqualTo(ping);
        assertThat(b.open(Arrays.copyOf(r1, 4), Arrays.copyOfRange(r1, 4, r1.length))).isEqualTo(ping);
        assertThatThrownBy(() -> b.open(Arrays.copyOf(r1, 4), Arrays.copyOfRange(r1, 4, r1.length))).as("replayed").isInstanceOf(SecureChannel.Broken.class);
        // a record sealed by b is not one a's own direction opens: each direction has its key
        byte[] fromB = b.seal(ping);
        assertThat(a.open(Arrays.copyOf(fromB, 4), Arrays.copyOfRange(fromB, 4, fromB.length))).isEqualTo(ping);
        SecureChannel other = SecureChannel.establish(ea, ephemeral(3).publicKey(), t);
        byte[] r2 = a.seal(ping);
        assertThatThrownBy(() -> other.open(Arrays.copyOf(r2, 4), Arrays.copyOfRange(r2, 4, r2.length))).as("another secret").isInstanceOf(SecureChannel.Broken.class);
        assertThatThrownBy(() -> SecureChannel.establish(ea, ea.publicKey(), t)).as("a reflected Hello").isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> SecureChannel.establish(ea, new byte[32], t)).as("a small-order key").isInstanceOf(ProtocolException.class);
    }
}
