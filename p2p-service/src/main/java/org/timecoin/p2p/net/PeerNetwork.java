package org.timecoin.p2p.net;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;

import org.jboss.logging.Logger;
import org.timecoin.p2p.core.AddressBook;
import org.timecoin.p2p.core.Offence;
import org.timecoin.p2p.core.PeerSession;
import org.timecoin.p2p.core.PeerSession.Output;
import org.timecoin.p2p.core.Reputation;
import org.timecoin.p2p.core.RelayHash;
import org.timecoin.p2p.core.SeenSet;
import org.timecoin.p2p.core.SyncPlanner;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.model.Block;
import org.timecoin.protocol.model.CommitCertificate;
import org.timecoin.protocol.model.PeerAddress;
import org.timecoin.protocol.model.SignedConsensusMessage;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxVoteBatch;
import org.timecoin.protocol.rules.ValidatorSet;
import org.timecoin.protocol.wire.Frames;
import org.timecoin.protocol.wire.RejectCode;
import org.timecoin.protocol.wire.SecureChannel;
import org.timecoin.protocol.wire.WireMessage;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;

/**
 * The p2p network adapter: TCP server and client (Vert.x), one {@link PeerSession} per connection, relay with a seen
 * set, discovery, bans and block sync. All state lives on this verticle's event loop; callers from other threads
 * hop onto it. Signature checks of relayed content run on worker threads, never on the event loop.
 *
 * <p>Its size (~690 lines): it is the one Vert.x verticle whose event loop owns every connection's state; dialing, relay, sync serving and bans all touch that state, and the protocol logic is already in {@code core/} ({@code PeerSession}, {@code AddressBook}, {@code SyncPlanner}, {@code Reputation}).
 */
public final class PeerNetwork extends AbstractVerticle {
    private static final Logger LOG = Logger.getLogger(PeerNetwork.class);
    private static final long TICK_MILLIS = 100;

    /** Where the network hands traffic to the stack and reads what it serves. Called on the event loop: must not block. */
    public interface Stack {
        void transaction(Transaction tx);

        void consensus(SignedConsensusMessage message);

        void votes(TxVoteBatch batch);

        void syncedBlock(Block block, CommitCertificate certificate);

        /** Blocks body (u32 count ‖ (Block ‖ CommitCertificate)*) from the ledger. */
        CompletionStage<byte[]> certifiedBlocks(long fromHeight, int count);

        void addressBookChanged(Collection<AddressBook.Entry> entries);
    }

    /** A peer as the REST API and the tests see it. */
    public record PeerInfo(String key, String remote, boolean outbound, boolean authenticated, boolean masternode, long rttMillis,
                           long bestHeight, int score, long messagesIn, long messagesOut, long connectedForMillis) {
    }

    private final P2pConfig config;
    private final KeyPair self;
    private final Stack stack;
    private final MeterRegistry metrics;
    private final SecureRandom random = new SecureRandom();
    private final org.timecoin.protocol.util.TokenBuckets handshakesPerIp; // new inbound connections per address
    /** Addresses verified and learned from one Peers message (a GetPeers answer holds at most this many). */
    static final int MAX_ADDRESSES_LEARNED_PER_MESSAGE = 100;
    private final int magic;
    private final PeerSession.Settings sessionSettings;
    private final AddressBook book;
    private final Reputation reputation;
    private final SeenSet seen;
    private final SyncPlanner sync;
    private final Map<Long, Conn> conns = new LinkedHashMap<>();
    private final Set<String> selfEndpoints = new HashSet<>();
    private final AtomicLong connIds = new AtomicLong();
    private final Map<String, Counter> counters = new HashMap<>();
    /**
     * This node's own consensus traffic of the current height (and recent vote batches), sent again to each masternode
     * peer that connects: a message broadcast while a peer was away is otherwise lost, and validators would wait for
     * growing round timeouts instead. Receivers drop what they have seen.
     */
    private final java.util.ArrayDeque<WireMessage> recentOwn = new java.util.ArrayDeque<>();
    private static final int MAX_RECENT_OWN = 512;
    private volatile List<PeerInfo> snapshot = List.of();
    /** Bytes all connections hold of frames not yet whole (at the last snapshot). */
    private volatile long bufferedBytes;
    /** When each authenticated peer key last sent a frame (epoch ms), also after it disconnected (bounded). */
    private final LinkedHashMap<String, Long> lastSeen = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > 10_000;
        }
    };
    private volatile Map<String, Long> lastSeenSnapshot = Map.of();
    private volatile long appliedHeight = -1;
    private ValidatorSet validators;
    private NetServer server;
    private NetClient client;
    private int boundPort;
    private long lastDiscovery;
    private boolean bookDirty;
    private PeerAddress ownAddress;

    private final class Conn {
        final long id = connIds.incrementAndGet();
        final NetSocket socket;
        final boolean outbound;
        final String remoteIp;
        final String endpoint; // dialed endpoint (outbound only)
        final long openedAt = System.currentTimeMillis();
        PeerSession session;
        PublicKey key;
        long rtt = -1;
        long bestHeight = -1;
        long in;
        long out;
        boolean authenticated;
        boolean closed;
        boolean serving; // a GetBlocks of this peer is being answered
        final List<byte[]> txsOut = new ArrayList<>(); // transactions to relay in its next Txs frame (event loop only)
        final org.timecoin.protocol.util.TokenBucket servedBytes;

        Conn(NetSocket socket, boolean outbound, String endpoint) {
            this.socket = socket;
            this.outbound = outbound;
            this.remoteIp = socket.remoteAddress().hostAddress();
            this.endpoint = endpoint;
            this.servedBytes = new org.timecoin.protocol.util.TokenBucket(config.syncServeBytesPerSecond(), config.syncServeBytesPerSecond(),
                    System.currentTimeMillis());
        }

        boolean ready() {
            return !closed && session.state() == PeerSession.State.READY;
        }

        /** Scores go to a key only once the peer proved it holds it (a replayed Hello must not get someone banned). */
        String identity() {
            return authenticated ? "key:" + key.hex() : "ip:" + remoteIp;
        }

        String syncId() {
            return Long.toString(id);
        }
    }

    public PeerNetwork(P2pConfig config, KeyPair self, Stack stack, MeterRegistry metrics, Collection<PeerAddress> knownAddresses) {
        this.config = config;
        this.self = self;
        this.stack = stack;
        this.metrics = metrics;
        this.handshakesPerIp = new org.timecoin.protocol.util.TokenBuckets(config.handshakesPerIpPerSecond(), Math.max(1, config.handshakesPerIpPerSecond()),
                10_000);
        this.magic = config.network().magic();
        this.sessionSettings = new PeerSession.Settings(magic, config.network().chainId(), config.frameLimits(), config.handshakeTimeoutMillis(),
                config.pingIntervalMillis(), config.deadAfterMillis(), config.ratesPerSecond());
        this.book = new AddressBook(config.addressBookCapacity(), config.backoffBaseMillis(), config.backoffMaxMillis());
        this.reputation = new Reputation(config.banThreshold(), config.banMillis(), 10, 100_000);
        this.seen = new SeenSet(config.seenCapacity());
        this.sync = new SyncPlanner(config.syncBatch(), config.syncWindow(), config.syncTimeoutMillis());
        for (String seed : config.seeds()) {
            int colon = seed.lastIndexOf(':');
            if (colon <= 0) throw new IllegalArgumentException("seed '" + seed + "' is not host:port");
            book.addSeed(seed.substring(0, colon).trim(), Integer.parseInt(seed.substring(colon + 1).trim()));
        }
        for (PeerAddress a : knownAddresses) {
            if (a.chainId() == config.network().chainId() && !a.nodeKey().equals(self.publicKey()) && a.signatureValid()) book.learn(a);
        }
        metrics.gauge("timecoin_p2p_peers_authenticated", this, n -> n.snapshot.stream().filter(PeerInfo::authenticated).count());
        metrics.gauge("timecoin_p2p_peers_masternodes", this, n -> n.snapshot.stream().filter(PeerInfo::masternode).count());
        metrics.gauge("timecoin_p2p_peers_connections", this, n -> n.snapshot.size());
        metrics.gauge("timecoin_p2p_banned", this, n -> n.bannedCount);
        metrics.gauge("timecoin_p2p_address_book", this, n -> n.bookSize);
        metrics.gauge("timecoin_p2p_buffered_bytes", this, n -> n.bufferedBytes);
    }

    private volatile int bannedCount;
    private volatile int bookSize;

    @Override
    public void start(Promise<Void> started) {
        client = vertx.createNetClient(new NetClientOptions().setConnectTimeout((int) config.handshakeTimeoutMillis()).setTcpNoDelay(true));
        server = vertx.createNetServer(new NetServerOptions().setHost(config.listenHost()).setPort(config.listenPort()).setTcpNoDelay(true));
        server.connectHandler(this::accepted).listen().onSuccess(s -> {
            boundPort = s.actualPort();
            ownAddress = PeerAddress.sign(config.network().chainId(), self, config.advertisedHost(), boundPort, System.currentTimeMillis());
            selfEndpoints.add(config.advertisedHost() + ":" + boundPort);
            vertx.setPeriodic(TICK_MILLIS, id -> tick());
            LOG.infof("p2p listening on %s:%d as %s", config.listenHost(), boundPort, self.publicKey().hex());
            started.complete();
        }).onFailure(started::fail);
    }

    @Override
    public void stop(Promise<Void> stopped) {
        for (Conn c : List.copyOf(conns.values())) apply(c, c.session.close(RejectCode.SHUTDOWN, "node stopping"));
        server.close().onComplete(x -> stopped.complete());
    }

    public int port() {
        return boundPort;
    }

    public PublicKey key() {
        return self.publicKey();
    }

    public List<PeerInfo> peers() {
        return snapshot;
    }

    /** Node key (hex) → when it last sent anything (epoch ms), for peers seen since this process started. */
    public Map<String, Long> lastSeen() {
        return lastSeenSnapshot;
    }

    // ---- calls from the stack (any thread) ----

    /** A block was applied here: our height for handshakes and sync, and the validator set for the next height. */
    public void blockApplied(long height, ValidatorSet nextSet) {
        appliedHeight = Math.max(appliedHeight, height);
        context.runOnContext(v -> {
            if (validators == null || nextSet.height() >= validators.height()) validators = nextSet;
            sync.applied(height);
            recentOwn.removeIf(w -> w instanceof WireMessage.Consensus k && k.message().message().height() <= height);
        });
    }

    /** The consensus service asks for blocks from this height on. */
    public void syncRequested(long fromHeight) {
        context.runOnContext(v -> sync.restartFrom(fromHeight));
    }

    public void broadcastConsensus(SignedConsensusMessage m) {
        context.runOnContext(v -> broadcastOwn(new WireMessage.Consensus(m)));
    }

    public void broadcastVotes(TxVoteBatch b) {
        context.runOnContext(v -> broadcastOwn(new WireMessage.Votes(b)));
    }

    private void broadcastOwn(WireMessage w) {
        byte[] body = WireMessage.encodeBody(w);
        if (!seen.firstTime(RelayHash.of(w.type(), body))) return;
        recentOwn.addLast(w);
        while (recentOwn.size() > MAX_RECENT_OWN) recentOwn.removeFirst();
        relay(w, body, null);
    }

    /** The stack's own transactions (a poll of tx.submitted): relayed to every peer, those not relayed before. */
    public void relayTransactions(List<Transaction> txs) {
        context.runOnContext(v -> {
            int relayed = 0;
            for (Transaction tx : txs) {
                byte[] bytes = tx.toBytes();
                if (!seen.firstTime(RelayHash.of(WireMessage.TX, bytes))) continue;
                queueRelay(bytes, null);
                relayed++;
            }
            if (relayed > 0) count("timecoin_p2p_messages_relayed_total", "type", "Tx", relayed);
        });
    }

    /**
     * Queues a transaction for every ready peer but the one it came from. The queues go out together once the event
     * loop has handled what it holds now ({@link #flushTransactions}): a frame carries whatever was ready — one
     * transaction when the network is idle, hundreds under load — so sealing, writing and the peers' reads are paid per
     * frame rather than per transaction, without a timer and without delay at low load.
     */
    private void queueRelay(byte[] tx, Conn from) {
        for (Conn c : conns.values()) {
            if (c != from && c.ready()) c.txsOut.add(tx);
        }
        if (!flushScheduled) {
            flushScheduled = true;
            context.runOnContext(v -> flushTransactions());
        }
    }

    private boolean flushScheduled;

    /** Each peer's queued transactions, in Txs frames within the small-frame limit (any peer reads those). */
    private void flushTransactions() {
        flushScheduled = false;
        int budget = config.frameLimits().smallBytes() - 64;
        for (Conn c : List.copyOf(conns.values())) {
            if (c.txsOut.isEmpty()) continue;
            List<byte[]> frame = new ArrayList<>();
            int bytes = 4;
            for (byte[] tx : c.txsOut) {
                if (!frame.isEmpty() && (frame.size() == WireMessage.MAX_TXS_PER_FRAME || bytes + 4 + tx.length > budget)) {
                    sendTransactions(c, frame);
                    frame = new ArrayList<>();
                    bytes = 4;
                }
                frame.add(tx);
                bytes += 4 + tx.length;
            }
            sendTransactions(c, frame);
            c.txsOut.clear();
        }
    }

    private void sendTransactions(Conn c, List<byte[]> txs) {
        sendRaw(c, WireMessage.TX, WireMessage.txsBody(txs));
        count("timecoin_p2p_frames_sent_total", "type", "Tx");
    }

    // ---- connections ----

    private void accepted(NetSocket socket) {
        String ip = socket.remoteAddress().hostAddress();
        long inbound = conns.values().stream().filter(c -> !c.outbound).count();
        long sameIp = conns.values().stream().filter(c -> c.remoteIp.equals(ip)).count();
        RejectCode refuse = ipBanned(ip) ? RejectCode.BANNED
                : inbound >= config.maxInbound() || sameIp >= config.maxPerIp() || !handshakesPerIp.tryTake(ip, System.currentTimeMillis(), 1) ? RejectCode.TOO_MANY_CONNECTIONS : null;
        if (refuse != null) {
            count("timecoin_p2p_connections_refused_total", "reason", refuse.name());
            socket.write(Buffer.buffer(Frames.encode(magic, new WireMessage.Reject(refuse.code(), refuse.name()))));
            socket.close();
            return;
        }
        open(new Conn(socket, false, null));
    }

    private void dial(AddressBook.Entry e, long now) {
        book.attempting(e.endpoint(), now, random.nextDouble());
        client.connect(e.port(), e.host()).onSuccess(socket -> open(new Conn(socket, true, e.endpoint()))).onFailure(x -> {
            book.failed(e.endpoint());
            LOG.debugf("dial %s failed: %s", e.endpoint(), x.getMessage());
        });
    }

    private void open(Conn c) {
        byte[] nonce = new byte[WireMessage.NONCE_BYTES];
        random.nextBytes(nonce);
        c.session = new PeerSession(sessionSettings, self, nonce, SecureChannel.Ephemeral.generate(random), policyFor(c), System.currentTimeMillis());
        conns.put(c.id, c);
        c.socket.setWriteQueueMaxSize(64 << 20);
        c.socket.handler(buf -> apply(c, c.session.onBytes(buf.getBytes(), System.currentTimeMillis())));
        c.socket.closeHandler(v -> closed(c));
        c.socket.exceptionHandler(x -> LOG.debugf("connection %s: %s", c.remoteIp, x.getMessage()));
        send(c, c.session.hello(boundPort));
        refreshSnapshot();
    }

    private PeerSession.Policy policyFor(Conn c) {
        return new PeerSession.Policy() {
            @Override
            public RejectCode admit(PublicKey peerKey) {
                if (reputation.banned("key:" + peerKey.hex(), System.currentTimeMillis())) return RejectCode.BANNED;
                // a Hello only claims a key: it never evicts a connection that proved it (duplicates are settled once
                // this one has proved it too, in authenticated()); one in the direction of an authenticated one is refused
                for (Conn other : List.copyOf(conns.values())) {
                    if (other != c && !other.closed && other.authenticated && peerKey.equals(other.key) && other.outbound == c.outbound) {
                        return RejectCode.DUPLICATE_CONNECTION;
                    }
                }
                c.key = peerKey;
                return null;
            }

            @Override
            public boolean isMasternode(PublicKey key) {
                return PeerNetwork.this.isMasternode(key);
            }

            @Override
            public boolean mayReceiveLarge(PublicKey key) {
                // a voter (a Free registration costs little, 64 MiB of buffer should not), or the peer our sync asked
                return validators != null && validators.isVoter(key) || sync.solicited(c.syncId());
            }

            @Override
            public long bestHeight() {
                return Math.max(0, appliedHeight);
            }

            @Override
            public boolean alreadyRelayed(int type, Hash relayHash) {
                if (!seen.contains(relayHash)) return false;
                count("timecoin_p2p_copies_dropped_total", "type", type == WireMessage.TX ? "Tx" : type == WireMessage.CONSENSUS ? "Consensus" : "Votes");
                return true;
            }
        };
    }

    private boolean isMasternode(PublicKey key) {
        return validators != null && validators.member(key) != null;
    }

    private void closed(Conn c) {
        if (!c.closed && c.outbound && !c.authenticated) book.failed(c.endpoint);
        c.closed = true;
        conns.remove(c.id);
        sync.peerGone(c.syncId());
        refreshSnapshot();
    }

    private void apply(Conn c, List<Output> outputs) {
        if (c.authenticated && !outputs.isEmpty()) lastSeen.put(c.key.hex(), System.currentTimeMillis());
        for (Output o : outputs) {
            if (c.closed) return;
            if (o instanceof PeerSession.Send s) {
                send(c, s.message());
            } else if (o instanceof PeerSession.Close x) {
                closeWith(c, x);
            } else if (o instanceof PeerSession.Authenticated a) {
                authenticated(c, a);
            } else if (o instanceof PeerSession.Received r) {
                c.in++;
                received(c, r.message(), r.body(), r.relayHash());
            } else if (o instanceof PeerSession.ReceivedTransactions t) {
                c.in++;
                receivedTransactions(c, t.transactions());
            } else if (o instanceof PeerSession.Misbehaved m) {
                offence(c, m.offence(), m.detail());
            } else if (o instanceof PeerSession.HeightSeen h) {
                c.bestHeight = Math.max(c.bestHeight, h.bestHeight());
                sync.peerHeight(c.syncId(), h.bestHeight());
            } else if (o instanceof PeerSession.RoundTrip t) {
                c.rtt = t.millis();
            }
        }
    }

    private void closeWith(Conn c, PeerSession.Close x) {
        count("timecoin_p2p_connections_closed_total", "reason", x.code().name()); // CHANNEL_BROKEN: someone on the path tampers
        if (x.offence() != null) offence(c, x.offence(), x.detail());
        if (x.code() == RejectCode.SELF_CONNECTION && c.endpoint != null) selfEndpoints.add(c.endpoint);
        if (!x.detail().startsWith("peer closed")) {
            synchronized (c) {
                c.socket.write(Buffer.buffer(c.session.wire(new WireMessage.Reject(x.code().code(), truncate(x.detail())))));
            }
        }
        LOG.debugf("closing %s (%s): %s", c.remoteIp, x.code(), x.detail());
        if (c.outbound && !c.authenticated) book.failed(c.endpoint);
        c.closed = true;
        conns.remove(c.id);
        sync.peerGone(c.syncId());
        c.socket.close();
        refreshSnapshot();
    }

    private static String truncate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200);
    }

    private void offence(Conn c, Offence offence, String detail) {
        count("timecoin_p2p_misbehaviour_total", "offence", offence.name());
        long now = System.currentTimeMillis();
        boolean exempt = !c.authenticated && config.ipBanExempt().contains(c.remoteIp);
        if (!exempt && reputation.score(c.identity(), c.authenticated ? offence : Offence.BEFORE_AUTHENTICATION, now)) {
            count("timecoin_p2p_bans_total", "offence", offence.name());
            LOG.infof("banned %s for %d ms after %s", c.identity(), config.banMillis(), offence);
            if (!c.closed) apply(c, c.session.close(RejectCode.BANNED, "banned after " + offence));
        }
    }

    private boolean ipBanned(String ip) {
        return !config.ipBanExempt().contains(ip) && reputation.banned("ip:" + ip, System.currentTimeMillis());
    }

    private void authenticated(Conn c, PeerSession.Authenticated a) {
        for (Conn other : List.copyOf(conns.values())) {
            if (other == c || other.closed || !other.authenticated || !c.key.equals(other.key)) continue;
            // two proven connections of one key (simultaneous dials): both ends keep the one opened by the smaller key
            boolean keepNew = other.outbound != c.outbound && c.outbound == (self.publicKey().hex().compareTo(c.key.hex()) < 0);
            if (!keepNew) {
                apply(c, c.session.close(RejectCode.DUPLICATE_CONNECTION, "a connection of this key is up"));
                return;
            }
            apply(other, other.session.close(RejectCode.DUPLICATE_CONNECTION, "replaced by a connection from the smaller key"));
        }
        c.authenticated = true;
        lastSeen.put(c.key.hex(), System.currentTimeMillis()); // its Auth just arrived
        if (c.outbound) book.succeeded(c.endpoint);
        count("timecoin_p2p_handshakes_total", "result", "ok");
        send(c, new WireMessage.Peers(List.of(ownAddress)));
        send(c, new WireMessage.GetPeers());
        if (isMasternode(c.key)) for (WireMessage w : recentOwn) send(c, w);
        refreshSnapshot();
    }

    private void send(Conn c, WireMessage m) {
        write(c, session -> session.wire(m));
    }

    /** Sends the frame of {@code type} around {@code body} as encoded already (relayed as received, blocks as stored). */
    private void sendRaw(Conn c, int type, byte[] body) {
        write(c, session -> session.wireRaw(type, body));
    }

    /**
     * Writes what the connection's session makes of a frame ({@code wire}: {@link PeerSession#wire} or wireRaw). Sealing
     * and writing happen together under the connection's lock: records must leave in the order of their counters (ticks
     * and the stack's callbacks may run beside the socket's own handler), and a record sealed is always written (a gap
     * would break the channel).
     */
    private void write(Conn c, java.util.function.Function<PeerSession, byte[]> wire) {
        synchronized (c) {
            if (c.closed) return;
            if (c.socket.writeQueueFull()) { // a peer that does not read is not worth buffering for
                apply(c, c.session.close(RejectCode.TIMEOUT, "not reading"));
                return;
            }
            c.out++;
            c.socket.write(Buffer.buffer(wire.apply(c.session)));
        }
    }

    // ---- messages ----

    /** A peer's new transactions: to the stack (the ledger verifies them) and on to the other peers. */
    private void receivedTransactions(Conn c, List<PeerSession.RelayedTransaction> txs) {
        int taken = 0;
        for (PeerSession.RelayedTransaction t : txs) {
            if (!seen.firstTime(t.relayHash())) continue;
            stack.transaction(t.transaction());
            queueRelay(t.bytes(), c);
            taken++;
        }
        if (taken > 0) {
            count("timecoin_p2p_messages_received_total", "type", "Tx", taken);
            count("timecoin_p2p_messages_relayed_total", "type", "Tx", taken);
        }
    }

    private void received(Conn c, WireMessage m, byte[] body, Hash relayHash) {
        count("timecoin_p2p_messages_received_total", "type", m.getClass().getSimpleName());
        if (m instanceof WireMessage.Consensus k) {
            SignedConsensusMessage s = k.message();
            if (s.message().chainId() != config.network().chainId() || validators == null || !validators.isVoter(s.message().signer())) {
                offence(c, Offence.NOT_A_MASTERNODE, "consensus message not signed by a validator");
                return;
            }
            if (!seen.firstTime(relayHash)) return;
            verified(c, s::signatureValid, () -> {
                stack.consensus(s);
                relay(m, body, c);
            });
        } else if (m instanceof WireMessage.Votes v) {
            TxVoteBatch b = v.batch();
            if (b.chainId() != config.network().chainId() || validators == null || !validators.mayVoteOnTransactions(b.voter())) {
                offence(c, Offence.NOT_A_MASTERNODE, "vote batch not signed by a validator");
                return;
            }
            if (!seen.firstTime(relayHash)) return;
            verified(c, b::signatureValid, () -> {
                stack.votes(b);
                relay(m, body, c);
            });
        } else if (m instanceof WireMessage.GetPeers) {
            List<PeerAddress> list = new ArrayList<>();
            list.add(ownAddress);
            list.addAll(book.signedAddresses(MAX_ADDRESSES_LEARNED_PER_MESSAGE - 1));
            send(c, new WireMessage.Peers(list));
        } else if (m instanceof WireMessage.Peers p) {
            // only masternodes' addresses are learned (a key check before any signature, at most a GetPeers answer's
            // worth per message): a flood of addresses signed by fresh keys costs no verification and evicts nothing
            List<PeerAddress> candidates = p.addresses().stream()
                    .filter(a -> a.chainId() == config.network().chainId() && !a.nodeKey().equals(self.publicKey()) && isMasternode(a.nodeKey()))
                    .limit(MAX_ADDRESSES_LEARNED_PER_MESSAGE).toList();
            if (candidates.isEmpty()) return;
            vertx.executeBlocking(() -> candidates.stream().allMatch(PeerAddress::signatureValid), false).onSuccess(valid -> {
                if (!valid) {
                    offence(c, Offence.BAD_SIGNATURE, "peer address with a bad signature");
                    return;
                }
                for (PeerAddress a : candidates) bookDirty |= book.learn(a);
            });
        } else if (m instanceof WireMessage.GetBlocks g) {
            // one answer at a time per peer, within a byte budget per second: a small request must not buy unbounded
            // reads and sends (amplification); an answer over the budget is empty, and the peer asks again or elsewhere
            if (c.serving) {
                count("timecoin_p2p_sync_requests_dropped_total", "reason", "OUTSTANDING");
                offence(c, Offence.RATE_LIMITED, "a GetBlocks while the last one is being answered");
                return;
            }
            c.serving = true;
            int count = Math.min(g.count(), config.syncBatch());
            stack.certifiedBlocks(g.fromHeight(), count).whenComplete((blocks, x) -> context.runOnContext(v -> {
                c.serving = false;
                if (x != null) {
                    LOG.debugf("cannot serve blocks from %d: %s", g.fromHeight(), x.getMessage());
                    send(c, new WireMessage.Blocks(List.of()));
                } else if (!c.servedBytes.tryTake(System.currentTimeMillis(), blocks.length)) {
                    count("timecoin_p2p_sync_requests_dropped_total", "reason", "BYTE_BUDGET");
                    send(c, new WireMessage.Blocks(List.of()));
                } else {
                    sendRaw(c, WireMessage.BLOCKS, blocks);
                }
            }));
        } else if (m instanceof WireMessage.Blocks b) {
            syncedBlocks(c, b);
        }
    }

    private void verified(Conn c, java.util.concurrent.Callable<Boolean> check, Runnable then) {
        vertx.executeBlocking(check, false).onSuccess(ok -> {
            if (ok) then.run();
            else offence(c, Offence.BAD_SIGNATURE, "signature does not verify");
        });
    }

    /** Sends {@code body} (the message's encoding, as received or as encoded once here) to every ready peer but {@code from}. */
    /** A consensus message or vote batch, to the masternode peers but the one it came from (transactions: {@link #queueRelay}). */
    private void relay(WireMessage m, byte[] body, Conn from) {
        for (Conn c : List.copyOf(conns.values())) {
            if (c == from || !c.ready() || !isMasternode(c.key)) continue;
            sendRaw(c, m.type(), body); // sealed for each connection
        }
        count("timecoin_p2p_messages_relayed_total", "type", m.getClass().getSimpleName());
    }

    /** A sync answer: every certificate is checked (worker thread) before any block goes to the stack. */
    private void syncedBlocks(Conn c, WireMessage.Blocks b) {
        if (!sync.solicited(c.syncId())) {
            offence(c, Offence.UNSOLICITED, "blocks nobody asked for");
            return;
        }
        SyncPlanner.Request request = sync.inFlight();
        ValidatorSet set = validators;
        int chainId = config.network().chainId();
        vertx.executeBlocking(() -> acceptedPrefix(b.blocks(), request, set, chainId), false).onSuccess(accepted -> {
            LOG.debugf("sync: %d blocks from %s starting at %d, %d accepted", b.blocks().size(), c.remoteIp, request.fromHeight(), accepted);
            if (accepted < 0) {
                sync.refused();
                count("timecoin_p2p_sync_refused_total", "peer", "any");
                offence(c, Offence.BAD_BLOCKS, "sync answer with an invalid block or certificate");
                return;
            }
            for (int i = 0; i < accepted; i++) {
                WireMessage.CertifiedBlock cb = b.blocks().get(i);
                stack.syncedBlock(cb.block(), cb.certificate());
            }
            if (accepted > 0) count("timecoin_p2p_sync_blocks_total", "result", "accepted", accepted);
            sync.answered(accepted);
        });
    }

    /**
     * How many leading blocks of a sync answer can go to the stack, or -1 if the answer is bad: heights must run from the
     * requested one without gaps and link by previous hash; every certificate must be for its block, by the chain,
     * with valid signatures by the validator set of its height. The set we know is that of every height up to the next
     * epoch boundary (it cannot change in between), so a failure there is the peer's; past the boundary the set may have
     * changed, and the prefix stops there without blame (the ledger, which checks every block against the set of its
     * height, announces the next set). Sets rarely change, so a long answer usually passes whole.
     */
    static int acceptedPrefix(List<WireMessage.CertifiedBlock> blocks, SyncPlanner.Request request, ValidatorSet set, int chainId) {
        if (blocks.size() > request.count() || set == null) return -1;
        long lastHeightOfSet = ValidatorSet.nextBoundary(set.height() + 1) - 1;
        Hash previous = null;
        for (int i = 0; i < blocks.size(); i++) {
            WireMessage.CertifiedBlock cb = blocks.get(i);
            if (cb.block().height() != request.fromHeight() + i) return -1;
            if (previous != null && !cb.block().header().previousHash().equals(previous)) return -1;
            if (cb.certificate().verify(chainId, cb.block(), set).isPresent()) {
                boolean ourSetIsNotItsSet = cb.block().height() < set.height() || cb.block().height() > lastHeightOfSet;
                return ourSetIsNotItsSet && i > 0 ? i : -1;
            }
            previous = cb.block().hash();
        }
        return blocks.size();
    }

    // ---- timers ----

    private void tick() {
        long now = System.currentTimeMillis();
        for (Conn c : List.copyOf(conns.values())) apply(c, c.session.onTick(now));
        dialMore(now);
        if (now - lastDiscovery >= config.discoveryIntervalMillis()) {
            lastDiscovery = now;
            for (Conn c : conns.values()) if (c.ready()) send(c, new WireMessage.GetPeers());
        }
        sync.next(now).ifPresent(r -> {
            for (Conn c : conns.values()) {
                if (c.syncId().equals(r.peer()) && c.ready()) {
                    LOG.debugf("sync: asking %s for %d blocks from %d", c.remoteIp, r.count(), r.fromHeight());
                    send(c, new WireMessage.GetBlocks(r.fromHeight(), r.count()));
                }
            }
        });
        if (bookDirty) {
            bookDirty = false;
            stack.addressBookChanged(book.entries());
        }
        bannedCount = reputation.bannedCount(now);
        bookSize = book.size();
        refreshSnapshot();
    }

    private void dialMore(long now) {
        long outbound = conns.values().stream().filter(c -> c.outbound).count();
        if (outbound >= config.targetOutbound()) return;
        Set<String> endpoints = new HashSet<>();
        Set<PublicKey> keys = new HashSet<>();
        for (Conn c : conns.values()) {
            if (c.endpoint != null) endpoints.add(c.endpoint);
            if (c.authenticated) keys.add(c.key); // a Hello only claims a key: fake ones must not stop us dialling it
        }
        List<AddressBook.Entry> due = book.due(now, (int) (config.targetOutbound() - outbound), e -> selfEndpoints.contains(e.endpoint())
                || endpoints.contains(e.endpoint()) || e.key() != null && (keys.contains(e.key())
                        || reputation.banned("key:" + e.key().hex(), now)));
        for (AddressBook.Entry e : due) dial(e, now);
    }

    private void refreshSnapshot() {
        long now = System.currentTimeMillis();
        List<PeerInfo> list = new ArrayList<>(conns.size());
        long buffered = 0;
        for (Conn c : conns.values()) {
            if (c.session != null) buffered += c.session.bufferedBytes();
            list.add(new PeerInfo(c.key == null ? null : c.key.hex(), c.remoteIp + ":" + c.socket.remoteAddress().port(), c.outbound, c.ready(),
                    c.key != null && isMasternode(c.key), c.rtt, c.bestHeight, reputation.score(c.identity(), now), c.in, c.out, now - c.openedAt));
        }
        snapshot = List.copyOf(list);
        bufferedBytes = buffered;
        lastSeenSnapshot = Map.copyOf(lastSeen);
    }

    private void count(String name, String tag, String value) {
        count(name, tag, value, 1);
    }

    private void count(String name, String tag, String value, int n) {
        counters.computeIfAbsent(name + '|' + value, k -> metrics.counter(name, tag, value)).increment(n);
    }

}
