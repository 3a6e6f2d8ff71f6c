package org.timecoin.p2p.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.timecoin.p2p.core.PeerSession.Output;
import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.model.Network;
import org.timecoin.protocol.wire.Frames;
import org.timecoin.protocol.wire.RejectCode;
import org.timecoin.protocol.wire.WireMessage;
import org.timecoin.protocol.wire.WireMessage.Kind;

class PeerSessionTest {
    static final KeyPair A = Ed25519Keys.deterministic("session-test", "node", 0);
    static final KeyPair B = Ed25519Keys.deterministic("session-test", "node", 1);
    static final int MAGIC = Network.DEVNET.magic();
    static final int CHAIN = Network.DEVNET.chainId();

    static PeerSession.Settings settings() {
        return new PeerSession.Settings(MAGIC, CHAIN, new Frames.SizeLimits(4096, 1 << 20), 1_000, 100, 300,
                Map.of(Kind.TRANSACTION, 5.0, Kind.VOTE, 5.0, Kind.BLOCK, 5.0, Kind.CONTROL, 50.0));
    }

    static PeerSession.Policy policy(Set<PublicKey> masternodes) {
        return new PeerSession.Policy() {
            public RejectCode admit(PublicKey k) {
                return null;
            }

            public boolean isMasternode(PublicKey k) {
                return masternodes.contains(k);
            }

            public long bestHeight() {
                return 5;
            }
        };
    }

    static byte[] nonce(int b) {
        byte[] n = new byte[32];
        n[0] = (byte) b;
        return n;
    }

    static byte[] frame(WireMessage m) {
        return Frames.encode(MAGIC, m);
    }

    /** Feeds each Send of {@code outputs} into {@code to}; returns what {@code to} produced. */
    static List<Output> deliver(List<Output> outputs, PeerSession to, long now) {
        List<Output> produced = new ArrayList<>();
        for (Output o : outputs) if (o instanceof PeerSession.Send s) produced.addAll(to.onBytes(frame(s.message()), now));
        return produced;
    }

    /** Runs the handshake between a and b; returns b's outputs after a's Auth. */
    static void handshake(PeerSession a, PeerSession b) {
        List<Output> fromB = b.onBytes(frame(a.hello(24200)), 0);
        List<Output> fromA = a.onBytes(frame(b.hello(24201)), 0);
        deliver(fromB, a, 0);
        deliver(fromA, b, 0);
    }

    @Test
    void handshakeAuthenticatesBothSides() {
        PeerSession a = new PeerSession(settings(), A, nonce(1), policy(Set.of()), 0);
        PeerSession b = new PeerSession(settings(), B, nonce(2), policy(Set.of()), 0);
        List<Output> fromB = b.onBytes(frame(a.hello(24200)), 0);
        List<Output> fromA = a.onBytes(frame(b.hello(24201)), 0);
        assertThat(deliver(fromB, a, 0)).anySatisfy(o -> assertThat(o).isEqualTo(new PeerSession.Authenticated(B.publicKey(), 5, 24201)));
        assertThat(deliver(fromA, b, 0)).anySatisfy(o -> assertThat(o).isEqualTo(new PeerSession.Authenticated(A.publicKey(), 5, 24200)));
        assertThat(a.state()).isEqualTo(PeerSession.State.READY);
        assertThat(b.state()).isEqualTo(PeerSession.State.READY);
    }

    @Test
    void aReplayedHandshakeFails() {
        // an eavesdropper records A's Hello and Auth on one connection ...
        PeerSession a = new PeerSession(settings(), A, nonce(1), policy(Set.of()), 0);
        PeerSession b = new PeerSession(settings(), B, nonce(2), policy(Set.of()), 0);
        WireMessage.Hello helloA = a.hello(24200);
        List<Output> authA = a.onBytes(frame(b.hello(24201)), 0);
        // ... and replays them to B on a new connection (B picks a fresh nonce)
        PeerSession b2 = new PeerSession(settings(), B, nonce(3), policy(Set.of()), 0);
        b2.onBytes(frame(helloA), 0);
        List<Output> out = deliver(authA, b2, 0);
        assertThat(out).singleElement().isInstanceOfSatisfying(PeerSession.Close.class, c -> {
            assertThat(c.code()).isEqualTo(RejectCode.BAD_AUTH);
            assertThat(c.offence()).isEqualTo(Offence.BAD_AUTH);
        });
        assertThat(b2.state()).isEqualTo(PeerSession.State.CLOSED);
    }

    @Test
    void wrongChainGarbageAndOversizedFramesClose() {
        PeerSession b = new PeerSession(settings(), B, nonce(2), policy(Set.of()), 0);
        WireMessage.Hello testnetHello = new WireMessage.Hello(1, Network.TESTNET.chainId(), A.publicKey(), nonce(1), 0, 0);
        assertThat(b.onBytes(frame(testnetHello), 0)).singleElement()
                .isEqualTo(new PeerSession.Close(RejectCode.WRONG_CHAIN, "chain 2, this node follows 3", Offence.WRONG_CHAIN));

        PeerSession c = new PeerSession(settings(), B, nonce(2), policy(Set.of()), 0);
        byte[] garbage = frame(new WireMessage.Ping(1, 1));
        garbage[Frames.HEADER_BYTES + 8] = (byte) 0xFF; // best height above 2^63
        assertThat(c.onBytes(garbage, 0)).singleElement().isInstanceOfSatisfying(PeerSession.Close.class,
                x -> assertThat(x.code()).isEqualTo(RejectCode.MALFORMED));

        PeerSession d = new PeerSession(settings(), B, nonce(2), policy(Set.of()), 0);
        byte[] header = {0x54, 0x49, 0x4D, 0x03, 7, 0x7F, 0, 0, 0}; // a 2 GB transaction announced
        assertThat(d.onBytes(header, 0)).singleElement().isInstanceOfSatisfying(PeerSession.Close.class,
                x -> assertThat(x.code()).isEqualTo(RejectCode.FRAME_TOO_LARGE));
    }

    @Test
    void anythingBeforeTheHandshakeIsAViolation() {
        PeerSession b = new PeerSession(settings(), B, nonce(2), policy(Set.of()), 0);
        assertThat(b.onBytes(frame(new WireMessage.GetPeers()), 0)).singleElement().isInstanceOfSatisfying(PeerSession.Close.class,
                x -> assertThat(x.offence()).isEqualTo(Offence.PROTOCOL_VIOLATION));
    }

    @Test
    void consensusTrafficOnlyFromMasternodes() {
        PeerSession a = new PeerSession(settings(), A, nonce(1), policy(Set.of()), 0);
        PeerSession b = new PeerSession(settings(), B, nonce(2), policy(Set.of()), 0); // A is not registered at B
        handshake(a, b);
        WireMessage tx = new WireMessage.GetBlocks(1, 1);
        assertThat(b.onBytes(frame(tx), 1)).singleElement().isInstanceOfSatisfying(PeerSession.Received.class, r -> {
            assertThat(r.message()).isEqualTo(tx);
            assertThat(r.body()).isEqualTo(WireMessage.encodeBody(tx)); // the bytes relayed on, as they came
        });
        byte[] votes = frame(new WireMessage.Ping(0, 0));
        assertThat(b.onBytes(votes, 1)).hasSize(2); // pong + height

        PeerSession b2 = new PeerSession(settings(), B, nonce(2), policy(Set.of(A.publicKey())), 0);
        PeerSession a2 = new PeerSession(settings(), A, nonce(1), policy(Set.of()), 0);
        handshake(a2, b2);
        assertThat(b2.state()).isEqualTo(PeerSession.State.READY);
    }

    @Test
    void rateLimitDropsAndScores() {
        PeerSession a = new PeerSession(settings(), A, nonce(1), policy(Set.of()), 0);
        PeerSession b = new PeerSession(settings(), B, nonce(2), policy(Set.of()), 0);
        handshake(a, b);
        int received = 0;
        int dropped = 0;
        for (int i = 0; i < 20; i++) {
            for (Output o : b.onBytes(frame(new WireMessage.GetBlocks(i + 1, 1)), 10)) {
                if (o instanceof PeerSession.Received) received++;
                if (o instanceof PeerSession.Misbehaved m && m.offence() == Offence.RATE_LIMITED) dropped++;
            }
        }
        assertThat(received).isEqualTo(5); // burst = 5/s
        assertThat(dropped).isEqualTo(15);
        // a second later the bucket has refilled
        assertThat(b.onBytes(frame(new WireMessage.GetBlocks(99, 1)), 1_010)).singleElement().isInstanceOf(PeerSession.Received.class);
    }

    @Test
    void heartbeatPingsThenDropsASilentPeer() {
        PeerSession a = new PeerSession(settings(), A, nonce(1), policy(Set.of()), 0);
        PeerSession b = new PeerSession(settings(), B, nonce(2), policy(Set.of()), 0);
        handshake(a, b);
        List<Output> ping = a.onTick(100);
        assertThat(ping).singleElement().isInstanceOfSatisfying(PeerSession.Send.class, s -> assertThat(s.message()).isInstanceOf(WireMessage.Ping.class));
        List<Output> pong = deliver(ping, b, 120);
        assertThat(deliver(pong, a, 140)).contains(new PeerSession.RoundTrip(40));
        assertThat(a.onTick(439)).noneMatch(o -> o instanceof PeerSession.Close);
        assertThat(a.onTick(440)).singleElement().isInstanceOfSatisfying(PeerSession.Close.class,
                c -> assertThat(c.code()).isEqualTo(RejectCode.TIMEOUT));
    }

    @Test
    void aHandshakeThatNeverCompletesTimesOut() {
        PeerSession b = new PeerSession(settings(), B, nonce(2), policy(Set.of()), 0);
        assertThat(b.onTick(999)).isEmpty();
        assertThat(b.onTick(1_000)).singleElement().isInstanceOfSatisfying(PeerSession.Close.class,
                c -> assertThat(c.code()).isEqualTo(RejectCode.TIMEOUT));
    }

    @Test
    void framesSplitAcrossReadsAreReassembled() {
        PeerSession a = new PeerSession(settings(), A, nonce(1), policy(Set.of()), 0);
        byte[] hello = frame(new PeerSession(settings(), B, nonce(2), policy(Set.of()), 0).hello(1));
        List<Output> out = new ArrayList<>();
        for (byte x : hello) out.addAll(a.onBytes(new byte[] {x}, 0));
        assertThat(out).singleElement().isInstanceOf(PeerSession.Send.class);
        assertThat(a.state()).isEqualTo(PeerSession.State.AWAIT_AUTH);
    }

    /**
     * A copy of a message the node has relayed already is dropped before it is decoded (a body that would not even
     * decode is not noticed), yet it takes its rate-limit token; a first copy is decoded and carries its relay hash.
     */
    @Test
    void aCopyOfARelayedMessageIsDroppedUndecodedButStillRateLimited() {
        Set<org.timecoin.protocol.crypto.Hash> relayed = new java.util.HashSet<>();
        PeerSession.Policy base = policy(Set.of());
        PeerSession.Policy remembering = new PeerSession.Policy() {
            public RejectCode admit(PublicKey k) {
                return base.admit(k);
            }

            public boolean isMasternode(PublicKey k) {
                return base.isMasternode(k);
            }

            public long bestHeight() {
                return base.bestHeight();
            }

            public boolean alreadyRelayed(int type, org.timecoin.protocol.crypto.Hash relayHash) {
                return relayed.contains(relayHash);
            }
        };
        PeerSession a = new PeerSession(settings(), A, nonce(1), policy(Set.of()), 0);
        PeerSession b = new PeerSession(settings(), B, nonce(2), remembering, 0);
        handshake(a, b);

        byte[] garbage = {1, 2, 3};
        byte[] garbageTx = Frames.encodeRaw(MAGIC, 7, garbage);
        relayed.add(RelayHash.of(7, garbage));
        assertThat(b.onBytes(garbageTx, 1)).isEmpty(); // taken for a copy: never decoded, so no MALFORMED
        for (int i = 0; i < 4; i++) b.onBytes(garbageTx, 1); // 5 tokens per second: this one was the fifth
        assertThat(b.onBytes(garbageTx, 1)).singleElement().isInstanceOfSatisfying(PeerSession.Misbehaved.class,
                m -> assertThat(m.offence()).isEqualTo(Offence.RATE_LIMITED));

        PeerSession b2 = new PeerSession(settings(), B, nonce(3), remembering, 0);
        PeerSession a2 = new PeerSession(settings(), A, nonce(4), policy(Set.of()), 0);
        handshake(a2, b2);
        byte[] otherGarbage = {4, 5, 6};
        assertThat(b2.onBytes(Frames.encodeRaw(MAGIC, 7, otherGarbage), 1)).singleElement().isInstanceOfSatisfying(PeerSession.Close.class,
                c -> assertThat(c.code()).isEqualTo(RejectCode.MALFORMED)); // not a copy: decoded, and refused

        PeerSession b3 = new PeerSession(settings(), B, nonce(5), remembering, 0);
        PeerSession a3 = new PeerSession(settings(), A, nonce(6), policy(Set.of()), 0);
        handshake(a3, b3);
        WireMessage.Tx tx = new WireMessage.Tx(org.timecoin.protocol.model.Transaction.transfer(
                List.of(new org.timecoin.protocol.model.OutPoint(org.timecoin.protocol.crypto.Hash.ZERO, 0)),
                List.of(new org.timecoin.protocol.model.TxOutput(org.timecoin.protocol.model.Amount.sat(1), A.keyHash()))));
        assertThat(b3.onBytes(frame(tx), 1)).singleElement().isInstanceOfSatisfying(PeerSession.Received.class,
                r -> assertThat(r.relayHash()).isEqualTo(RelayHash.of(7, WireMessage.encodeBody(tx))));
    }

    @Test
    void theRateLimitClassOfARelayedTypeIsTheDecodedMessagesOwn() {
        assertThat(RelayHash.kind(7)).isEqualTo(new WireMessage.Tx(null).kind());
        assertThat(RelayHash.kind(8)).isEqualTo(new WireMessage.Consensus(null).kind());
        assertThat(RelayHash.kind(9)).isEqualTo(new WireMessage.Votes(null).kind());
        for (int type = 1; type <= 12; type++) assertThat(RelayHash.relayed(type)).isEqualTo(type >= 7 && type <= 9);
    }
}
