package org.timecoin.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

/** The watchdog shell that ties a child process (broker, service JVM) to its owner's pipe. */
class WatchdogTest {

    @Test
    void theChildOutlivesNeitherThePipeNorASignalToItsWatchdog() throws Exception {
        Process watchdog = new ProcessBuilder(Watchdog.wrap(List.of("sleep", "300"))).start();
        OutputStream pipe = watchdog.getOutputStream();
        ProcessHandle child = await().atMost(Duration.ofSeconds(10)).until(() -> watchdog.children().findFirst(), Optional::isPresent).orElseThrow();
        try {
            // the shell sets its traps just after starting the child: signalled before that, it would still die
            await().atMost(Duration.ofSeconds(10)).until(() -> ignores(watchdog.pid(), 1) && ignores(watchdog.pid(), 3));
            // jcmd or a closed terminal: both signals used to end the shell and orphan the child
            for (String signal : List.of("QUIT", "HUP")) {
                assertThat(new ProcessBuilder("kill", "-" + signal, Long.toString(watchdog.pid())).start().waitFor()).isZero();
            }
            // the shell handles a signal only once its foreground command ends, so a live pipe proves nothing yet:
            // end-of-file must still stop the child, which only a surviving watchdog can do
            assertThat(watchdog.isAlive()).isTrue();
            assertThat(child.isAlive()).isTrue();
            Watchdog.stop(watchdog, pipe, Duration.ofSeconds(10));
            await().atMost(Duration.ofSeconds(10)).until(() -> !child.isAlive());
            assertThat(watchdog.exitValue()).as("stopped by its pipe, not forcibly").isNotEqualTo(137);
        } finally {
            child.destroyForcibly();
            watchdog.destroyForcibly();
        }
    }

    /** Whether process {@code pid} ignores signal number {@code signal} (Linux: the SigIgn mask in /proc). */
    static boolean ignores(long pid, int signal) throws java.io.IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("SigIgn:")) return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & (1L << (signal - 1))) != 0;
        }
        throw new IllegalStateException("no SigIgn in /proc/" + pid + "/status");
    }
}
