package org.timecoin.p2p.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.wire.Frames;
import org.timecoin.protocol.wire.RejectCode;
import org.timecoin.protocol.wire.SecureChannel;
import org.timecoin.protocol.wire.WireMessage;
import org.timecoin.protocol.wire.WireMessage.Auth;
import org.timecoin.protocol.wire.WireMessage.Hello;
import org.timecoin.protocol.wire.WireMessage.Kind;
import org.timecoin.protocol.util.TokenBucket;
import org.timecoin.protocol.wire.WireMessage.Ping;
import org.timecoin.protocol.wire.WireMessage.Pong;

/**
 * One p2p connection's protocol, without I/O: bytes and clock ticks in, {@link Output}s out. It owns framing, the
 * encrypted channel and the handshake (Hello both ways in the clear with ephemeral keys; then every frame sealed, the
 * first one each way an Auth signing the transcript: {@link SecureChannel}), what a peer may send (consensus traffic
 * only from registered masternodes, large frames only from authenticated masternodes), per-class rate limits and the
 * heartbeat. Everything a peer sends before it is authenticated other than Hello/Auth closes the connection; a record
 * that does not open closes it without blame (the peer did not write it). The caller writes what {@link #wire} gives.
 * Signatures of relayed content are checked by the caller.
 */
public final class PeerSession {

    public enum State { AWAIT_HELLO, AWAIT_AUTH, READY, CLOSED }

    /** What the caller must do. */
    public sealed interface Output {
    }

    public record Send(WireMessage message) implements Output {
    }

    /** Send a Reject with this code and close; {@code offence} scores the peer (null: no fault, e.g. shutdown). */
    public record Close(RejectCode code, String detail, Offence offence) implements Output {
    }

    /** The peer proved it holds {@code key}. */
    public record Authenticated(PublicKey key, long bestHeight, int listenPort) implements Output {
    }

    /**
     * A message from an authenticated peer that passed this session's checks, with its body as received: the node
     * relays those bytes instead of encoding the message again. {@code relayHash}: {@link RelayHash} of a relayed type
     * (null for others).
     */
    public record Received(WireMessage message, byte[] body, Hash relayHash) implements Output {
    }

    /**
     * The transactions of a Txs frame this node has not taken before (each by its {@link RelayHash}; copies were dropped
     * undecoded), decoded, with each one's bytes as received for relaying.
     */
    public record ReceivedTransactions(List<RelayedTransaction> transactions) implements Output {
    }

    public record RelayedTransaction(Transaction transaction, byte[] bytes, Hash relayHash) {
    }

    /** Dropped a message and scored the peer, connection stays. */
    public record Misbehaved(Offence offence, String detail) implements Output {
    }

    public record HeightSeen(long bestHeight) implements Output {
    }

    public record RoundTrip(long millis) implements Output {
    }

    /** Decisions that need the node's state (bans, duplicates, registration). */
    public interface Policy {
        /** null to accept a peer that announced this key, else why not. */
        RejectCode admit(PublicKey peerKey);

        boolean isMasternode(PublicKey key);

        /** Whether this peer may send frames over the small limit (a voter, or one whose sync answer is awaited). */
        default boolean mayReceiveLarge(PublicKey key) {
            return isMasternode(key);
        }

        long bestHeight();

        /** True when the node has taken a message of this type and {@link RelayHash} already: a copy, dropped undecoded. */
        default boolean alreadyRelayed(int type, Hash relayHash) {
            return false;
        }
    }

    public record Settings(int magic, int chainId, Frames.SizeLimits frameLimits, long handshakeTimeoutMillis, long pingIntervalMillis,
                           long deadAfterMillis, Map<Kind, Double> ratesPerSecond) {
    }

    /**
     * The largest frame body taken before the peer is authenticated: a Hello or an Auth is about a hundred bytes, so a
     * connection that never authenticates holds at most this and one read's chunk, not a small frame (1 MiB).
     */
    public static final int HANDSHAKE_FRAME_BYTES = 4096;

    private final Settings settings;
    private final KeyPair self;
    private final byte[] ownNonce;
    private final Policy policy;
    private final ChannelReader reader;
    private final SecureChannel.Ephemeral ephemeral;
    private Hello ownHello;
    private Hash transcript;
    private SecureChannel channel;
    private final long openedAt;
    private final Map<Kind, TokenBucket> buckets = new EnumMap<>(Kind.class);
    private State state = State.AWAIT_HELLO;
    private Hello peerHello;
    private long lastHeard;
    private long lastPingSent;
    private long pingNonce;
    private long pingSentAt;
    private boolean pingOutstanding;

    /** {@code ephemeral}: this connection's own X25519 key, fresh for each connection (never reused). */
    public PeerSession(Settings settings, KeyPair self, byte[] ownNonce, SecureChannel.Ephemeral ephemeral, Policy policy, long nowMillis) {
        if (ownNonce.length != WireMessage.NONCE_BYTES) throw new IllegalArgumentException("nonce must be 32 bytes");
        this.settings = settings;
        this.self = self;
        this.ownNonce = ownNonce.clone();
        this.ephemeral = ephemeral;
        this.policy = policy;
        this.reader = new ChannelReader(settings.magic(), settings.frameLimits());
        this.openedAt = nowMillis;
        this.lastHeard = nowMillis;
        this.lastPingSent = nowMillis;
        for (Kind k : Kind.values()) {
            double rate = settings.ratesPerSecond().getOrDefault(k, 100.0);
            buckets.put(k, new TokenBucket(rate, Math.max(1, rate), nowMillis));
        }
    }

    /** Bytes received and held, not yet a whole frame. */
    public int bufferedBytes() {
        return reader.pendingBytes();
    }

    public State state() {
        return state;
    }

    /**
     * The first frame each side sends, before anything it reads (its bytes are part of the transcript). A session that
     * reads a Hello before it made its own makes one with no listen port.
     */
    public Hello hello(int listenPort) {
        if (ownHello != null && ownHello.listenPort() != listenPort) throw new IllegalStateException("this side's Hello is made already");
        if (ownHello == null) {
            ownHello = new Hello(WireMessage.PROTOCOL_VERSION, settings.chainId(), self.publicKey(), ownNonce.clone(), policy.bestHeight(), listenPort,
                    ephemeral.publicKey());
        }
        return ownHello;
    }

    /** The bytes that carry {@code m} on this connection: a plain frame until the channel is up, a sealed record after. */
    public byte[] wire(WireMessage m) {
        return wrap(Frames.encode(settings.magic(), m));
    }

    /** As {@link #wire}, for a body encoded already (relayed as received, blocks as stored). */
    public byte[] wireRaw(int type, byte[] body) {
        return wrap(Frames.encodeRaw(settings.magic(), type, body));
    }

    private synchronized byte[] wrap(byte[] frame) {
        return channel == null ? frame : channel.seal(frame);
    }

    public List<Output> onBytes(byte[] chunk, long nowMillis) {
        List<Output> out = new ArrayList<>(2);
        if (state == State.CLOSED) return out;
        while (state != State.CLOSED) {
            ChannelReader.Frame f;
            try {
                if (chunk != null) reader.feed(chunk);
                chunk = null;
                // before authentication only the handshake's few hundred bytes a frame; large frames only from an
                // authenticated voter, or a peer whose sync answer we await: nothing bigger is even buffered
                boolean large = state == State.READY && policy.mayReceiveLarge(peerHello.nodeKey());
                f = reader.next(state != State.READY ? HANDSHAKE_FRAME_BYTES : large ? settings.frameLimits().largeBytes() : settings.frameLimits().smallBytes());
            } catch (SecureChannel.Broken e) {
                close(out, RejectCode.CHANNEL_BROKEN, e.getMessage(), null); // not the peer's doing: no score against its key
                return out;
            } catch (ProtocolException e) {
                RejectCode code = e.reason() == ProtocolException.Reason.TOO_LARGE ? RejectCode.FRAME_TOO_LARGE
                        : e.reason() == ProtocolException.Reason.WRONG_NETWORK ? RejectCode.WRONG_CHAIN : RejectCode.MALFORMED;
                close(out, code, e.getMessage(), code == RejectCode.WRONG_CHAIN ? Offence.WRONG_CHAIN : Offence.MALFORMED);
                return out;
            }
            if (f == null) break;
            lastHeard = nowMillis;
            if (state == State.READY && f.type() == WireMessage.TX) {
                if (!onTransactions(f.body(), nowMillis, out)) break;
                continue;
            }
            Hash relayHash = null;
            if (state == State.READY && RelayHash.relayed(f.type())) {
                relayHash = RelayHash.of(f.type(), f.body());
                if (policy.alreadyRelayed(f.type(), relayHash)) {
                    // a copy: not decoded, but it takes its token like any message (a peer repeating one cannot flood)
                    Kind kind = RelayHash.kind(f.type());
                    if (!buckets.get(kind).tryTake(nowMillis)) out.add(new Misbehaved(Offence.RATE_LIMITED, kind + " rate exceeded"));
                    continue;
                }
            }
            WireMessage m;
            try {
                m = WireMessage.decodeBody(f.type(), f.body());
            } catch (ProtocolException e) {
                close(out, RejectCode.MALFORMED, e.getMessage(), Offence.MALFORMED);
                break;
            }
            onMessage(m, f.body(), relayHash, nowMillis, out);
        }
        return out;
    }

    /**
     * A Txs frame, transaction by transaction: each takes a token (a copy too: a peer repeating one cannot flood; past
     * the rate the rest of the frame is dropped), a copy of one taken before is dropped undecoded, the others decoded.
     * False when the frame closed the session (malformed).
     */
    private boolean onTransactions(byte[] body, long now, List<Output> out) {
        List<RelayedTransaction> fresh = new ArrayList<>();
        try {
            for (byte[] bytes : WireMessage.transactionBytes(body)) {
                if (!buckets.get(Kind.TRANSACTION).tryTake(now)) {
                    out.add(new Misbehaved(Offence.RATE_LIMITED, Kind.TRANSACTION + " rate exceeded"));
                    break;
                }
                Hash relayHash = RelayHash.of(WireMessage.TX, bytes);
                if (!policy.alreadyRelayed(WireMessage.TX, relayHash)) fresh.add(new RelayedTransaction(Transaction.decode(bytes), bytes, relayHash));
            }
        } catch (ProtocolException e) {
            close(out, RejectCode.MALFORMED, e.getMessage(), Offence.MALFORMED);
            return false;
        }
        if (!fresh.isEmpty()) out.add(new ReceivedTransactions(fresh));
        return true;
    }

    private void onMessage(WireMessage m, byte[] body, Hash relayHash, long now, List<Output> out) {
        if (m instanceof WireMessage.Reject r) { // in any state: the peer tells why it closes
            state = State.CLOSED;
            out.add(new Close(RejectCode.byCode(r.code()), "peer closed: " + r.detail(), null));
            return;
        }
        switch (state) {
            case AWAIT_HELLO -> {
                if (!(m instanceof Hello h)) {
                    close(out, RejectCode.PROTOCOL_VIOLATION, "expected Hello, got type " + m.type(), Offence.PROTOCOL_VIOLATION);
                } else if (h.chainId() != settings.chainId()) {
                    close(out, RejectCode.WRONG_CHAIN, "chain " + h.chainId() + ", this node follows " + settings.chainId(), Offence.WRONG_CHAIN);
                } else if (h.version() != WireMessage.PROTOCOL_VERSION) {
                    close(out, RejectCode.WRONG_VERSION, "protocol version " + h.version(), null);
                } else if (h.nodeKey().equals(self.publicKey())) {
                    close(out, RejectCode.SELF_CONNECTION, "connected to itself", null);
                } else if (Arrays.equals(h.nonce(), ownNonce)) {
                    close(out, RejectCode.BAD_AUTH, "nonce echoed", Offence.BAD_AUTH);
                } else {
                    transcript = WireMessage.transcript(settings.chainId(), ownHello != null ? ownHello : hello(0), h);
                    try {
                        channel = SecureChannel.establish(ephemeral, h.ephemeralKey(), transcript);
                    } catch (ProtocolException e) {
                        close(out, RejectCode.BAD_AUTH, e.getMessage(), Offence.BAD_AUTH);
                        return;
                    }
                    reader.seal(channel); // from here on both sides seal, a refusal too (the peer reads sealed records now)
                    RejectCode refused = policy.admit(h.nodeKey());
                    if (refused != null) {
                        close(out, refused, "not admitted", null);
                        return;
                    }
                    peerHello = h;
                    state = State.AWAIT_AUTH;
                    out.add(new Send(Auth.sign(self, transcript)));
                }
            }
            case AWAIT_AUTH -> {
                if (!(m instanceof Auth a)) {
                    close(out, RejectCode.PROTOCOL_VIOLATION, "expected Auth, got type " + m.type(), Offence.PROTOCOL_VIOLATION);
                } else if (!a.valid(peerHello.nodeKey(), transcript)) {
                    close(out, RejectCode.BAD_AUTH, "handshake signature does not verify", Offence.BAD_AUTH);
                } else {
                    state = State.READY;
                    out.add(new Authenticated(peerHello.nodeKey(), peerHello.bestHeight(), peerHello.listenPort()));
                    out.add(new HeightSeen(peerHello.bestHeight()));
                }
            }
            case READY -> onReady(m, body, relayHash, now, out);
            case CLOSED -> {
            }
        }
    }

    private void onReady(WireMessage m, byte[] body, Hash relayHash, long now, List<Output> out) {
        if (m instanceof Hello || m instanceof Auth) {
            close(out, RejectCode.PROTOCOL_VIOLATION, "second handshake", Offence.PROTOCOL_VIOLATION);
            return;
        }
        if (!buckets.get(m.kind()).tryTake(now)) {
            out.add(new Misbehaved(Offence.RATE_LIMITED, m.kind() + " rate exceeded"));
            return;
        }
        if (m instanceof Ping p) {
            out.add(new Send(new Pong(p.nonce(), policy.bestHeight())));
            out.add(new HeightSeen(p.bestHeight()));
        } else if (m instanceof Pong p) {
            if (pingOutstanding && p.nonce() == pingNonce) {
                pingOutstanding = false;
                out.add(new RoundTrip(now - pingSentAt));
            }
            out.add(new HeightSeen(p.bestHeight()));
        } else if ((m instanceof WireMessage.Consensus || m instanceof WireMessage.Votes) && !policy.isMasternode(peerHello.nodeKey())) {
            out.add(new Misbehaved(Offence.NOT_A_MASTERNODE, "consensus traffic from a key that is not a registered masternode"));
        } else {
            out.add(new Received(m, body, relayHash));
        }
    }

    /** Clock tick: handshake timeout, heartbeat (ping every interval, drop after silence). */
    public List<Output> onTick(long now) {
        List<Output> out = new ArrayList<>(1);
        if (state == State.CLOSED) return out;
        if (state != State.READY && now - openedAt >= settings.handshakeTimeoutMillis()) {
            close(out, RejectCode.TIMEOUT, "handshake not completed", Offence.SLOW);
        } else if (state == State.READY && now - lastHeard >= settings.deadAfterMillis()) {
            close(out, RejectCode.TIMEOUT, "silent for " + (now - lastHeard) + " ms", null);
        } else if (state == State.READY && now - lastPingSent >= settings.pingIntervalMillis()) {
            lastPingSent = now;
            pingSentAt = now;
            pingNonce = pingNonce * 6364136223846793005L + 1442695040888963407L + now;
            pingOutstanding = true;
            out.add(new Send(new Ping(pingNonce, policy.bestHeight())));
        }
        return out;
    }

    /** The node closes this connection (shutdown, ban, duplicate): one Reject, no fault of the peer implied. */
    public List<Output> close(RejectCode code, String detail) {
        List<Output> out = new ArrayList<>(1);
        if (state != State.CLOSED) close(out, code, detail, null);
        return out;
    }

    private void close(List<Output> out, RejectCode code, String detail, Offence offence) {
        state = State.CLOSED;
        out.add(new Close(code, detail, offence));
    }
}
