package org.timecoin.p2p.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Someone on the network path between two nodes: a TCP relay that forwards each connection to {@code targetPort}
 * byte for byte, and on demand flips one bit of the next chunk the dialing side sends, or injects bytes of its own
 * towards the target. What it can do to a sealed channel is what any man in the middle can.
 */
final class TamperingRelay implements AutoCloseable {
    private final ServerSocket server;
    private final int targetPort;
    private final AtomicBoolean alterNext = new AtomicBoolean();
    private final AtomicReference<OutputStream> towardsTarget = new AtomicReference<>();
    volatile boolean altered;
    volatile int connections;

    TamperingRelay(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "relay-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    /** Flips a bit in the middle of the next chunk the dialing node sends (past the handshake, a sealed record). */
    void alterNext() {
        alterNext.set(true);
    }

    /** Writes {@code bytes} towards the target on the current connection, as if the dialing node had sent them. */
    void inject(byte[] bytes) throws IOException {
        OutputStream out = towardsTarget.get();
        synchronized (out) {
            out.write(bytes);
            out.flush();
        }
    }

    private void accept() {
        try {
            while (true) {
                Socket client = server.accept();
                Socket target = new Socket(java.net.InetAddress.getLoopbackAddress(), targetPort);
                connections++;
                towardsTarget.set(target.getOutputStream());
                pump(client, target, true);
                pump(target, client, false);
            }
        } catch (IOException e) {
            // closed
        }
    }

    private void pump(Socket from, Socket to, boolean fromDialer) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[65536];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    if (fromDialer && alterNext.compareAndSet(true, false)) {
                        buf[n / 2] ^= 0x10;
                        altered = true;
                    }
                    synchronized (out) {
                        out.write(buf, 0, n);
                        out.flush();
                    }
                }
            } catch (IOException e) {
                // one side closed
            }
            try {
                from.close();
                to.close();
            } catch (IOException e) {
                // closing
            }
        }, "relay-pump");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
