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
import org.timecoin.protocol.wire.WireMessage.Auth;

class WireMessageTest {
    static final int MAGIC = Network.DEVNET.magic();
    static final Frames.SizeLimits LIMITS = new Frames.SizeLimits(1 << 20, 64 << 20);

    static List<WireMessage> oneOfEach() {
        byte[] nonce = new byte[32];
        nonce[5] = 7;
        return List.of(new WireMessage.Hello(1, Fixtures.CHAIN, Fixtures.nodeKey(0).publicKey(), nonce, 12, 24200),
                Auth.sign(Fixtures.CHAIN, Fixtures.nodeKey(0), nonce, Fixtures.nodeKey(1).publicKey(), new byte[32]),
                new WireMessage.Ping(-5, 3), new WireMessage.Pong(-5, 4), new WireMessage.GetPeers(),
                new WireMessage.Peers(List.of(Fixtures.peerAddress())), new WireMessage.Tx(Fixtures.transfer()),
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

    @Test
    void authIsBoundToBothNoncesKeysAndChain() {
        KeyPair a = Fixtures.nodeKey(0);
        KeyPair b = Fixtures.nodeKey(1);
        byte[] na = new byte[32];
        byte[] nb = new byte[32];
        na[0] = 1;
        nb[0] = 2;
        Auth auth = Auth.sign(Fixtures.CHAIN, a, na, b.publicKey(), nb);
        assertThat(auth.valid(Fixtures.CHAIN, a.publicKey(), na, b.publicKey(), nb)).isTrue();
        byte[] otherNonce = nb.clone();
        otherNonce[31] = 9; // a new connection: the verifier's nonce differs, the recorded Auth is worthless
        assertThat(auth.valid(Fixtures.CHAIN, a.publicKey(), na, b.publicKey(), otherNonce)).isFalse();
        assertThat(auth.valid(Fixtures.CHAIN + 1, a.publicKey(), na, b.publicKey(), nb)).isFalse();
        assertThat(auth.valid(Fixtures.CHAIN, a.publicKey(), na, Fixtures.nodeKey(2).publicKey(), nb)).isFalse();
        assertThat(auth.valid(Fixtures.CHAIN, b.publicKey(), na, a.publicKey(), nb)).isFalse();
    }
}
