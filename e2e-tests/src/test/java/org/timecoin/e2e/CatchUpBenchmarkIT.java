package org.timecoin.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.timecoin.infra.Devnet;

/**
 * Benchmark (not in the default run): how long a whole node that missed many blocks takes to catch up by itself.
 * A 4-node devnet of its own makes blocks back to back (a short block interval) while node 3 is stopped; then node 3
 * starts again and p2p sync, consensus and the ledger bring it to the tip. Prints the figures.
 * <pre>
 *   ./mvnw -pl e2e-tests verify -Dit.test=CatchUpBenchmarkIT -Dtimecoin.bench=true [-Dtimecoin.bench.missed-blocks=1000]
 * </pre>
 */
@EnabledIfSystemProperty(named = "timecoin.bench", matches = "true")
class CatchUpBenchmarkIT {
    static final int NODES = 4;
    static final int BASE_PORT = 25300;

    @Test
    void aNodeThatMissedManyBlocksCatchesUp() {
        int missed = Integer.getInteger("timecoin.bench.missed-blocks", 1000);
        Path root = Path.of(System.getProperty("timecoin.root", ".."));
        Path dir = Path.of("target/devnet-catchup");
        SharedDevnet.deleteRecursively(dir);
        try (Devnet devnet = Devnet.launch(root, dir, NODES, "catch-up", BASE_PORT, Map.of("timecoin.consensus.block-interval-millis", "20"))) {
            int behind = NODES - 1;
            await().atMost(Duration.ofMinutes(3)).until(() -> height(devnet, 0) >= 2 && height(devnet, behind) >= 2);
            for (String s : List.of("gateway", "p2p", "consensus", "ledger")) devnet.stop(behind, s);
            long from = height(devnet, 0);
            long t0 = System.nanoTime();
            await().atMost(Duration.ofMinutes(40)).pollInterval(Duration.ofSeconds(1)).until(() -> height(devnet, 0) >= from + missed);
            double produced = (height(devnet, 0) - from) / seconds(t0);
            long target = height(devnet, 0);

            long t1 = System.nanoTime();
            devnet.restart(behind, List.of("ledger", "consensus", "p2p", "gateway")); // all four at once, as Kubernetes would
            long t2 = System.nanoTime();
            long startHeight = height(devnet, behind);
            await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(100)).until(() -> height(devnet, behind) >= target);
            double catchUp = seconds(t2);
            System.out.printf("CATCH-UP %d blocks missed (the others made %.1f blocks/s meanwhile); node restarted in %.1f s (4 JVMs in parallel,"
                    + " ready) at height %d; reached height %d %.1f s after that: %.0f blocks/s; %.1f s from the first restart command%n",
                    target - from, produced, seconds(t1) - catchUp, startHeight, target, catchUp, (target - startHeight) / catchUp, seconds(t1));
            assertThat(height(devnet, behind)).isGreaterThanOrEqualTo(target);
        }
    }

    static long height(Devnet devnet, int node) {
        return SharedDevnet.height(devnet.url("gateway", node));
    }

    static double seconds(long sinceNanos) {
        return (System.nanoTime() - sinceNanos) / 1e9;
    }
}
