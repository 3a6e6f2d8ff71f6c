package org.timecoin.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;

/** Loopback port helpers. */
public final class FreePorts {
    private FreePorts() {
    }

    /** Ports this JVM has handed out: the OS may offer a port again as soon as its probe socket is closed. */
    private static final Set<Integer> GIVEN = new HashSet<>();

    /**
     * A port that was free a moment ago on 127.0.0.1 (the OS picks it), never one this JVM has handed out before: two
     * picks in a row (a broker's listener and its controller) once got the same port and the broker refused to start.
     */
    public static int pick() {
        return pick(FreePorts::osPort);
    }

    static synchronized int pick(IntSupplier osPort) {
        for (int attempt = 0; attempt < 100; attempt++) {
            int port = osPort.getAsInt();
            if (GIVEN.add(port)) return port;
        }
        throw new IllegalStateException("the OS kept offering loopback ports already handed out");
    }

    private static int osPort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port", e);
        }
    }

    public static boolean accepting(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Polls {@code condition} until it holds; false on timeout. For start-up waits in launchers, not in tests. */
    public static boolean await(Duration timeout, BooleanSupplier condition) {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (condition.getAsBoolean()) return true;
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return condition.getAsBoolean();
    }
}
