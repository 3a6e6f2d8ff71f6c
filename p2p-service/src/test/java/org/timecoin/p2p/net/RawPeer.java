package org.timecoin.p2p.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import org.timecoin.p2p.core.PeerSession;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.model.Network;
import org.timecoin.protocol.wire.Frames;
import org.timecoin.protocol.wire.RejectCode;
import org.timecoin.protocol.wire.WireMessage;
import org.timecoin.protocol.wire.WireMessage.Kind;

/**
 * A test peer on a plain blocking socket, speaking the protocol through the same {@link PeerSession} the service uses
 * (so it can also misbehave: raw bytes, silence, floods). Records every frame it sends and what the node answers.
 */
public final class RawPeer implements AutoCloseable {
    final Socket socket;
    final PeerSession session;
    public final List<WireMessage> received = new CopyOnWriteArrayList<>();
    final List<byte[]> sentFrames = new CopyOnWriteArrayList<>();
    volatile RejectCode closedWith;
    volatile String closedDetail;
    public volatile boolean eof;
    volatile boolean silent;
    private final OutputStream out;
    private boolean passive;

    RawPeer(int port, KeyPair key) throws IOException {
        this(port, key, false);
    }

    /** With {@code hello}, the Hello goes out before anything is read (an Auth must never overtake it). */
    RawPeer(int port, KeyPair key, boolean hello) throws IOException {
        this(port, key, hello, false);
    }

    private RawPeer(int port, KeyPair key, boolean hello, boolean passive) throws IOException {
        this.passive = passive;
        socket = new Socket("127.0.0.1", port);
        out = socket.getOutputStream();
        byte[] nonce = new byte[32];
        new SecureRandom().nextBytes(nonce);
        PeerSession.Settings settings = new PeerSession.Settings(Network.DEVNET.magic(), Network.DEVNET.chainId(),
                new Frames.SizeLimits(1 << 20, 64 << 20), 60_000, 3_600_000, 3_600_000,
                Map.of(Kind.TRANSACTION, 1e6, Kind.VOTE, 1e6, Kind.BLOCK, 1e6, Kind.CONTROL, 1e6));
        session = new PeerSession(settings, key, nonce, org.timecoin.protocol.wire.SecureChannel.Ephemeral.generate(new SecureRandom()), new PeerSession.Policy() {
            public RejectCode admit(PublicKey k) {
                return null;
            }

            public boolean isMasternode(PublicKey k) {
                return true;
            }

            public long bestHeight() {
                return 0;
            }
        }, System.currentTimeMillis());
        if (hello) send(session.hello(0));
        Thread reader = new Thread(this::read, "raw-peer-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /** Speaks only through {@link #sendRaw}; of what the node sends, records only its Reject. */
    static RawPeer passive(int port) throws IOException {
        RawPeer p = new RawPeer(port, org.timecoin.protocol.crypto.Ed25519Keys.deterministic("raw", "passive", 0), false, true);
        return p;
    }

    public static RawPeer handshaken(int port, KeyPair key) throws IOException {
        return new RawPeer(port, key, true);
    }

    public boolean ready() {
        return session.state() == PeerSession.State.READY;
    }

    /** As its session puts it on the wire: in the clear until the channel is up, sealed after. */
    public void send(WireMessage m) {
        synchronized (session) {
            sendRaw(session.wire(m));
        }
    }

    synchronized void sendRaw(byte[] bytes) {
        sentFrames.add(bytes);
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            eof = true;
        }
    }

    private final org.timecoin.p2p.core.ChannelReader frames = new org.timecoin.p2p.core.ChannelReader(Network.DEVNET.magic(),
            new Frames.SizeLimits(1 << 20, 64 << 20));

    private void read() {
        byte[] buf = new byte[65536];
        try (InputStream in = socket.getInputStream()) {
            int n;
            while ((n = in.read(buf)) > 0) {
                byte[] chunk = java.util.Arrays.copyOf(buf, n);
                if (passive) {
                    try {
                        frames.feed(chunk);
                        for (var f = frames.next(1 << 20); f != null; f = frames.next(1 << 20)) {
                            if (f.type() == 12) closedWith = RejectCode.byCode(((WireMessage.Reject) WireMessage.decodeBody(12, f.body())).code());
                        }
                    } catch (RuntimeException e) {
                        break; // sealed records: a passive peer has no channel to read them
                    }
                    continue;
                }
                synchronized (session) {
                    for (PeerSession.Output o : session.onBytes(chunk, System.currentTimeMillis())) {
                        if (o instanceof PeerSession.Send s && !(silent && s.message() instanceof WireMessage.Pong)) send(s.message());
                        else if (o instanceof PeerSession.Received r) received.add(r.message());
                        else if (o instanceof PeerSession.ReceivedTransactions t)
                            received.add(new WireMessage.Txs(t.transactions().stream().map(PeerSession.RelayedTransaction::transaction).toList()));
                        else if (o instanceof PeerSession.Close c) {
                            closedWith = c.code();
                            closedDetail = c.detail();
                        }
                    }
                }
            }
        } catch (IOException e) {
            // socket closed
        }
        eof = true;
    }

    <T extends WireMessage> long count(Class<T> type) {
        return received.stream().filter(type::isInstance).count();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    static Set<PublicKey> none() {
        return Set.of();
    }
}
