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
import org.timecoin.protocol.wire.SecureChannel;
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

    static SecureChannel.Ephemeral ephemeral(int seed) {
        byte[] k = new byte[32];
        java.util.Arrays.fill(k, (byte) (0x40 + seed));
        return SecureChannel.Ephemeral.fromPrivate(k);
    }

    /** A session of {@code key} whose nonce and ephemeral key derive from {@code seed}. */
    static PeerSession session(KeyPair key, int seed, PeerSession.Policy policy) {
        return new PeerSession(settings(), key, nonce(seed), ephemeral(seed), policy, 0);
    }

    /** Feeds each Send of {@code outputs}, as {@code from} puts it on the wire, into {@code to}; returns what {@code to} produced. */
    static List<Output> deliver(List<Output> outputs, PeerSession from, PeerSession to, long now) {
        List<Output> produced = new ArrayList<>();
        for (Output o : outputs) if (o instanceof PeerSession.Send s) produced.addAll(to.onBytes(from.wire(s.message()), now));
        return produced;
    }

    /** Runs the handshake between a and b. */
    static void handshake(PeerSession a, PeerSession b) {
        WireMessage.Hello helloA = a.hello(24200); // each side's Hello goes out first
        WireMessage.Hello helloB = b.hello(24201);
        List<Output> fromB = b.onBytes(frame(helloA), 0);
        List<Output> fromA = a.onBytes(frame(helloB), 0);
        deliver(fromB, b, a, 0);
        deliver(fromA, a, b, 0);
    }

    @Test
    void handshakeAuthenticatesBothSides() {
        PeerSession a = session(A, 1, policy(Set.of()));
        PeerSession b = session(B, 2, policy(Set.of()));
        WireMessage.Hello helloB = b.hello(24201);
        List<Output> fromB = b.onBytes(frame(a.hello(24200)), 0);
        List<Output> fromA = a.onBytes(frame(helloB), 0);
        assertThat(deliver(fromB, b, a, 0)).anySatisfy(o -> assertThat(o).isEqualTo(new PeerSession.Authenticated(B.publicKey(), 5, 24201)));
        assertThat(deliver(fromA, a, b, 0)).anySatisfy(o -> assertThat(o).isEqualTo(new PeerSession.Authenticated(A.publicKey(), 5, 24200)));
        assertThat(a.state()).isEqualTo(PeerSession.State.READY);
        assertThat(b.state()).isEqualTo(PeerSession.State.READY);
    }

    @Test
    void aReplayedHandshakeDoesNotEvenOpenAndBlamesNoKey() {
        // an eavesdropper records A's Hello and sealed Auth on one connection ...
        PeerSession a = session(A, 1, policy(Set.of()));
        PeerSession b = session(B, 2, policy(Set.of()));
        WireMessage.Hello helloA = a.hello(24200);
        List<Output> authA = a.onBytes(frame(b.hello(24201)), 0);
        byte[] recordedAuth = a.wire(((PeerSession.Send) authA.get(0)).message());
        // ... and replays them to B on a new connection (B picks a fresh ephemeral key: another secret)
        PeerSession b2 = session(B, 3, policy(Set.of()));
        b2.onBytes(frame(helloA), 0);
        assertThat(b2.onBytes(recordedAuth, 0)).singleElement().isInstanceOfSatisfying(PeerSession.Close.class, c -> {
            assertThat(c.code()).isEqualTo(RejectCode.CHANNEL_BROKEN);
            assertThat(c.offence()).as("nothing the claimed key did").isNull();
        });
        assertThat(b2.state()).isEqualTo(PeerSession.State.CLOSED);
    }

    /** A relay that puts its own ephemeral keys in both Hellos: the two sides sign different transcripts, neither authenticates. */
    @Test
    void aRelaySwappingEphemeralKeysAuthenticatesNeitherSide() {
        PeerSession a = session(A, 1, policy(Set.of()));
        PeerSession b = session(B, 2, policy(Set.of()));
        // the relay's two halves: to a it is "B" with ephemeral 7, to b it is "A" with ephemeral 8
        WireMessage.Hello hA = a.hello(24200);
        WireMessage.Hello hB = b.hello(24201);
        SecureChannel.Ephemeral toA = ephemeral(7);
        SecureChannel.Ephemeral toB = ephemeral(8);
        WireMessage.Hello forgedB = new WireMessage.Hello(hB.version(), hB.chainId(), hB.nodeKey(), hB.nonce(), hB.bestHeight(), hB.listenPort(), toA.publicKey());
        WireMessage.Hello forgedA = new WireMessage.Hello(hA.version(), hA.chainId(), hA.nodeKey(), hA.nonce(), hA.bestHeight(), hA.listenPort(), toB.publicKey());
        List<Output> authFromA = a.onBytes(frame(forgedB), 0);
        List<Output> authFromB = b.onBytes(frame(forgedA), 0);
        // the relay opens each Auth (it holds both secrets) and seals it again for the other side
        SecureChannel relayA = SecureChannel.establish(toA, hA.ephemeralKey(), WireMessage.transcript(CHAIN, hA, forgedB));
        SecureChannel relayB = SecureChannel.establish(toB, hB.ephemeralKey(), WireMessage.transcript(CHAIN, forgedA, hB));
        byte[] fromA = a.wire(((PeerSession.Send) authFromA.get(0)).message());
        byte[] fromB = b.wire(((PeerSession.Send) authFromB.get(0)).message());
        byte[] authA = relayA.open(java.util.Arrays.copyOf(fromA, 4), java.util.Arrays.copyOfRange(fromA, 4, fromA.length));
        byte[] authB = relayB.open(java.util.Arrays.copyOf(fromB, 4), java.util.Arrays.copyOfRange(fromB, 4, fromB.length));
        List<Output> atB = b.onBytes(relayB.seal(authA), 0);
        List<Output> atA = a.onBytes(relayA.seal(authB), 0);
        for (List<Output> out : List.of(atA, atB)) {
            assertThat(out).noneMatch(o -> o instanceof PeerSession.Authenticated).singleElement().isInstanceOfSatisfying(PeerSession.Close.class,
                    c -> assertThat(c.code()).isEqualTo(RejectCode.BAD_AUTH)); // scored against the connection's address (the relay), not a key
        }
    }

    @Test
    void aSealedRecordAlteredOrInjectedOnThePathClosesWithoutBlame() {
        PeerSession a = session(A, 1, policy(Set.of()));
        PeerSession b = session(B, 2, policy(Set.of()));
        handshake(a, b);
        byte[] ping = a.wire(new WireMessage.Ping(1, 1));
        ping[ping.length - 1] ^= 1;
        assertThat(b.onBytes(ping, 1)).singleElement().isEqualTo(new PeerSession.Close(RejectCode.CHANNEL_BROKEN,
                "record 1 does not open: altered or not from the peer", null)); // record 0 was a's Auth

        PeerSession a2 = session(A, 3, policy(Set.of()));
        PeerSession b2 = session(B, 4, policy(Set.of()));
        handshake(a2, b2);
        // a frame injected in the clear, as the peer would have sent it before the channel existed
        assertThat(b2.onBytes(frame(new WireMessage.Ping(1, 1)), 1)).singleElement().isInstanceOfSatisfying(PeerSession.Close.class, c -> {
            assertThat(c.code()).isEqualTo(RejectCode.CHANNEL_BROKEN);
            assertThat(c.offence()).isNull();
        });
    }

    @Test
    void largeFramesOnlyFromAnAuthenticatedMasternode() {
        byte[] largeBody = new byte[5_000]; // over the small limit (4,096), under the large one
        PeerSession stranger = session(B, 2, policy(Set.of()));
        byte[] header = Frames.encodeRaw(MAGIC, WireMessage.BLOCKS, largeBody);
        assertThat(stranger.onBytes(java.util.Arrays.copyOf(header, Frames.HEADER_BYTES), 0)).as("before the handshake: refused on its header")
                .singleElement().isInstanceOfSatisfying(PeerSession.Close.class, c -> assertThat(c.code()).isEqualTo(RejectCode.FRAME_TOO_LARGE));

        PeerSession a = session(A, 1, policy(Set.of()));
        PeerSession b = session(B, 2, policy(Set.of())); // A is not a masternode at B
        handshake(a, b);
        assertThat(b.onBytes(a.wireRaw(WireMessage.BLOCKS, largeBody), 1)).singleElement().isInstanceOfSatisfying(PeerSession.Close.class,
                c -> assertThat(c.code()).isEqualTo(RejectCode.CHANNEL_BROKEN));

        PeerSession a2 = session(A, 3, policy(Set.of()));
        PeerSession b2 = session(B, 4, policy(Set.of(A.publicKey())));
        handshake(a2, b2);
        // read and decoded (and refused as malformed: the body is zeros), so past the size check
        assertThat(b2.onBytes(a2.wireRaw(WireMessage.BLOCKS, largeBody), 1)).singleElement().isInstanceOfSatisfying(PeerSession.Close.class,
                c -> assertThat(c.code()).isEqualTo(RejectCode.MALFORMED));
    }

    @Test
    void wrongChainGarbageAndOversizedFramesClose() {
        PeerSession b = session(B, 2, policy(Set.of()));
        WireMessage.Hello testnetHello = new WireMessage.Hello(2, Network.TESTNET.chainId(), A.publicKey(), nonce(1), 0, 0, ephemeral(1).publicKey());
        assertThat(b.onBytes(frame(testnetHello), 0)).singleElement()
                .isEqualTo(new PeerSession.Close(RejectCode.WRONG_CHAIN, "chain 2, this node follows 3", Offence.WRONG_CHAIN));

        PeerSession c = session(B, 2, policy(Set.of()));
        byte[] garbage = frame(new WireMessage.Ping(1, 1));
        garbage[Frames.HEADER_BYTES + 8] = (byte) 0xFF; // best height above 2^63
        assertThat(c.onBytes(garbage, 0)).singleElement().isInstanceOfSatisfying(PeerSession.Close.class,
                x -> assertThat(x.code()).isEqualTo(RejectCode.MALFORMED));

        PeerSession d = session(B, 2, policy(Set.of()));
        byte[] header = {0x54, 0x49, 0x4D, 0x03, 7, 0x7F, 0, 0, 0}; // a 2 GB transaction announced
        assertThat(d.onBytes(header, 0)).singleElement().isInstanceOfSatisfying(PeerSession.Close.class,
                x -> assertThat(x.code()).isEqualTo(RejectCode.FRAME_TOO_LARGE));

        // a testnet node's frame (same magic prefix, other network byte) is another chain, not garbage
        PeerSession e = session(B, 2, policy(Set.of()));
        assertThat(e.onBytes(Frames.encode(Network.TESTNET.magic(), testnetHello), 0)).singleElement().isInstanceOfSatisfying(PeerSession.Close.class,
                x -> assertThat(x.offence()).isEqualTo(Offence.WRONG_CHAIN));
        PeerSession f = session(B, 2, policy(Set.of()));
        assertThat(f.onBytes(Frames.encode(0x12345678, testnetHello), 0)).singleElement().isInstanceOfSatisfying(PeerSession.Close.class,
                x -> assertThat(x.offence()).isEqualTo(Offence.MALFORMED));
    }

    @Test
    void anythingBeforeTheHandshakeIsAViolation() {
        PeerSession b = session(B, 2, policy(Set.of()));
        assertThat(b.onBytes(frame(new WireMessage.GetPeers()), 0)).singleElement().isInstanceOfSatisfying(PeerSession.Close.class,
                x -> assertThat(x.offence()).isEqualTo(Offence.PROTOCOL_VIOLATION));
    }

    @Test
    void consensusTrafficOnlyFromMasternodes() {
        PeerSession a = session(A, 1, policy(Set.of()));
        PeerSession b = session(B, 2, policy(Set.of())); // A is not registered at B
        handshake(a, b);
        WireMessage tx = new WireMessage.GetBlocks(1, 1);
        assertThat(b.onBytes(a.wire(tx), 1)).singleElement().isInstanceOfSatisfying(PeerSession.Received.class, r -> {
            assertThat(r.message()).isEqualTo(tx);
            assertThat(r.body()).isEqualTo(WireMessage.encodeBody(tx)); // the bytes relayed on, as they came
        });
        byte[] votes = a.wire(new WireMessage.Ping(0, 0));
        assertThat(b.onBytes(votes, 1)).hasSize(2); // pong + height

        PeerSession b2 = session(B, 2, policy(Set.of(A.publicKey())));
        PeerSession a2 = session(A, 1, policy(Set.of()));
        handshake(a2, b2);
        assertThat(b2.state()).isEqualTo(PeerSession.State.READY);
    }

    @Test
    void rateLimitDropsAndScores() {
        PeerSession a = session(A, 1, policy(Set.of()));
        PeerSession b = session(B, 2, policy(Set.of()));
        handshake(a, b);
        int received = 0;
        int dropped = 0;
        for (int i = 0; i < 20; i++) {
            for (Output o : b.onBytes(a.wire(new WireMessage.GetBlocks(i + 1, 1)), 10)) {
                if (o instanceof PeerSession.Received) received++;
                if (o instanceof PeerSession.Misbehaved m && m.offence() == Offence.RATE_LIMITED) dropped++;
            }
        }
        assertThat(received).isEqualTo(5); // burst = 5/s
        assertThat(dropped).isEqualTo(15);
        // a second later the bucket has refilled
        assertThat(b.onBytes(a.wire(new WireMessage.GetBlocks(99, 1)), 1_010)).singleElement().isInstanceOf(PeerSession.Received.class);
    }

    @Test
    void heartbeatPingsThenDropsASilentPeer() {
        PeerSession a = session(A, 1, policy(Set.of()));
        PeerSession b = session(B, 2, policy(Set.of()));
        handshake(a, b);
        List<Output> ping = a.onTick(100);
        assertThat(ping).singleElement().isInstanceOfSatisfying(PeerSession.Send.class, s -> assertThat(s.message()).isInstanceOf(WireMessage.Ping.class));
        List<Output> pong = deliver(ping, a, b, 120);
        assertThat(deliver(pong, b, a, 140)).contains(new PeerSession.RoundTrip(40));
        assertThat(a.onTick(439)).noneMatch(o -> o instanceof PeerSession.Close);
        assertThat(a.onTick(440)).singleElement().isInstanceOfSatisfying(PeerSession.Close.class,
                c -> assertThat(c.code()).isEqualTo(RejectCode.TIMEOUT));
    }

    @Test
    void aHandshakeThatNeverCompletesTimesOut() {
        PeerSession b = session(B, 2, policy(Set.of()));
        assertThat(b.onTick(999)).isEmpty();
        assertThat(b.onTick(1_000)).singleElement().isInstanceOfSatisfying(PeerSession.Close.class,
                c -> assertThat(c.code()).isEqualTo(RejectCode.TIMEOUT));
    }

    @Test
    void framesSplitAcrossReadsAreReassembled() {
        PeerSession a = session(A, 1, policy(Set.of()));
        byte[] hello = frame(session(B, 2, policy(Set.of())).hello(1));
        List<Output> out = new ArrayList<>();
        for (byte x : hello) out.addAll(a.onBytes(new byte[] {x}, 0));
        assertThat(out).singleElement().isInstanceOf(PeerSession.Send.class);
        assertThat(a.state()).isEqualTo(PeerSession.State.AWAIT_AUTH);
    }

    /**
     * A copy of a transaction the node has relayed already is dropped before it is decoded (bytes that would not even
     * decode are not noticed), yet it takes its rate-limit token, one per transaction of a frame; a first one is
     * decoded and carries its bytes and relay hash.
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
        PeerSession a = session(A, 1, policy(Set.of()));
        PeerSession b = session(B, 2, remembering);
        handshake(a, b);

        byte[] garbage = {1, 2, 3};
        relayed.add(RelayHash.of(7, garbage));
        byte[] copies = WireMessage.txsBody(List.of(garbage, garbage, garbage));
        assertThat(b.onBytes(a.wireRaw(WireMessage.TX, copies), 1)).isEmpty(); // taken for copies: never decoded, so no MALFORMED
        byte[] twoMore = WireMessage.txsBody(List.of(garbage, garbage));
        assertThat(b.onBytes(a.wireRaw(WireMessage.TX, twoMore), 1)).isEmpty(); // 5 tokens per second, one per transaction: the fifth
        assertThat(b.onBytes(a.wireRaw(WireMessage.TX, WireMessage.txsBody(List.of(garbage))), 1)).singleElement()
                .isInstanceOfSatisfying(PeerSession.Misbehaved.class, m -> assertThat(m.offence()).isEqualTo(Offence.RATE_LIMITED));

        PeerSession b2 = session(B, 3, remembering);
        PeerSession a2 = session(A, 4, policy(Set.of()));
        handshake(a2, b2);
        byte[] otherGarbage = {4, 5, 6};
        assertThat(b2.onBytes(a2.wireRaw(WireMessage.TX, WireMessage.txsBody(List.of(garbage, otherGarbage))), 1)).singleElement()
                .isInstanceOfSatisfying(PeerSession.Close.class, c -> assertThat(c.code()).isEqualTo(RejectCode.MALFORMED)); // not a copy: decoded, and refused

        PeerSession b3 = session(B, 5, remembering);
        PeerSession a3 = session(A, 6, policy(Set.of()));
        handshake(a3, b3);
        org.timecoin.protocol.model.Transaction tx = org.timecoin.protocol.model.Transaction.transfer(
                List.of(new org.timecoin.protocol.model.OutPoint(org.timecoin.protocol.crypto.Hash.ZERO, 0)),
                List.of(new org.timecoin.protocol.model.TxOutput(org.timecoin.protocol.model.Amount.sat(1), A.keyHash())));
        // one frame, a copy and a first: only the first comes out, decoded, with its bytes and relay hash
        assertThat(b3.onBytes(a3.wireRaw(WireMessage.TX, WireMessage.txsBody(List.of(garbage, tx.toBytes()))), 1)).singleElement()
                .isInstanceOfSatisfying(PeerSession.ReceivedTransactions.class, r -> assertThat(r.transactions()).singleElement().satisfies(t -> {
                    assertThat(t.transaction()).isEqualTo(tx);
                    assertThat(t.bytes()).isEqualTo(tx.toBytes());
                    assertThat(t.relayHash()).isEqualTo(RelayHash.of(7, tx.toBytes()));
                }));
        // a Txs frame with no transaction is malformed
        assertThat(b3.onBytes(a3.wireRaw(WireMessage.TX, new byte[4]), 1)).singleElement().isInstanceOfSatisfying(PeerSession.Close.class,
                c -> assertThat(c.code()).isEqualTo(RejectCode.MALFORMED));
    }

    @Test
    void theRateLimitClassOfARelayedTypeIsTheDecodedMessagesOwn() {
        assertThat(RelayHash.kind(7)).isEqualTo(WireMessage.Kind.TRANSACTION);
        assertThat(RelayHash.kind(8)).isEqualTo(new WireMessage.Consensus(null).kind());
        assertThat(RelayHash.kind(9)).isEqualTo(new WireMessage.Votes(null).kind());
        for (int type = 1; type <= 12; type++) assertThat(RelayHash.relayed(type)).isEqualTo(type >= 7 && type <= 9);
    }
}
