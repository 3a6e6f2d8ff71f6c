package org.timecoin.infra;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a child process under {@code sh} so that it stops when its owner's pipe closes: the shell starts the command
 * in the background, reads its stdin until end-of-file (which happens when the owning JVM closes the pipe or dies,
 * even by kill -9), then sends SIGTERM to the command and waits for it. A SIGKILL of the shell itself is the one way
 * to orphan the command.
 */
final class Watchdog {
    private Watchdog() {
    }

    static List<String> wrap(List<String> command) {
        StringBuilder quoted = new StringBuilder();
        for (String c : command) quoted.append('\'').append(c.replace("'", "'\\''")).append("' ");
        // QUIT and HUP are ignored, set after the child started so it keeps their defaults: by default they end the
        // shell and leave the child running without its watchdog (seen: jcmd's SIGQUIT sent to this shell's pid)
        String script = quoted + "</dev/null & child=$!; trap '' QUIT HUP; trap 'kill $child 2>/dev/null' TERM INT; cat >/dev/null; "
                + "kill $child 2>/dev/null; wait $child";
        List<String> out = new ArrayList<>();
        out.add("sh");
        out.add("-c");
        out.add(script);
        return out;
    }

    /** Closes the pipe (the child gets SIGTERM) and waits; kills the whole tree if it does not stop in time. */
    static void stop(Process process, OutputStream pipe, Duration timeout) {
        if (process == null) return;
        try {
            if (pipe != null) pipe.close();
        } catch (IOException ignored) {
            // the pipe is gone already: the watchdog has seen end-of-file
        }
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }
}
