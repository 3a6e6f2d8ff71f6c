package org.timecoin.e2e;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.timecoin.infra.Devnet;

/**
 * Benchmark (not in the default run): how long a whole node that missed many blocks takes to catch up by itself.
 * A 4-node devnet of its own makes blocks back to back (a short block interval) while node 3 is stopped. Then node 2
 * stops too, which halts the chain (two of four are no quorum) — as a real network with 10-minute blocks is all but
 * idle while a node syncs, and as each node has its own machine there — and node 3 starts again: p2p sync, consensus
 * and the ledger bring it to the tip. Prints the figures, with node 3's consensus and ledger heights over the run.
 * {@code -Dtimecoin.bench.live-chain=true} keeps node 2 running instead: the three nodes keep making blocks every
 * 20 ms on the same two CPUs while node 3 catches up.
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
        boolean liveChain = Boolean.getBoolean("timecoin.bench.live-chain");
        Path root = Path.of(System.getProperty("timecoin.root", ".."));
        Path dir = Path.of("target/devnet-catchup");
        SharedDevnet.deleteRecursively(dir);
        try (Devnet devnet = Devnet.launch(root, dir, NODES, "catch-up", BASE_PORT, Map.of("timecoin.consensus.block-interval-millis", "20",
                // blocks are empty: a short round timeout when the stopped node leads keeps the 1,000 blocks coming fast
                "timecoin.consensus.base-round-timeout-millis", "500"))) {
            int behind = NODES - 1;
            await().atMost(Duration.ofMinutes(3)).until(() -> height(devnet, 0) >= 2 && height(devnet, behind) >= 2);
            for (String s : List.of("gateway", "p2p", "consensus", "ledger")) devnet.stop(behind, s);
            long from = height(devnet, 0);
            long t0 = System.nanoTime();
            await().atMost(Duration.ofMinutes(40)).pollInterval(Duration.ofSeconds(1)).until(() -> height(devnet, 0) >= from + missed);
            double produced = (height(devnet, 0) - from) / seconds(t0);
            if (!liveChain) {
                for (String s : List.of("gateway", "p2p", "consensus", "ledger")) devnet.stop(2, s);
                await().atMost(Duration.ofSeconds(30)).until(() -> height(devnet, 0) == height(devnet, 1)); // halted: the tip stays
            }
            long target = height(devnet, 0);

            long t1 = System.nanoTime();
            devnet.restart(behind, List.of("ledger", "consensus", "p2p", "gateway")); // all four at once, as Kubernetes would
            long t2 = System.nanoTime();
            long startHeight = height(devnet, behind);
            List<long[]> samples = new ArrayList<>(); // ms since ready, consensus height, ledger height: each poll is a sample
            await().atMost(Duration.ofMinutes(10)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(250)).until(() -> {
                long ledger = height(devnet, behind);
                samples.add(new long[] {(System.nanoTime() - t2) / 1_000_000, consensusHeight(devnet, behind), ledger});
                return ledger >= target;
            });
            double catchUp = seconds(t2);
            System.out.printf("CATCH-UP %d blocks missed (the others made %.1f blocks/s meanwhile; chain %s during the catch-up); node restarted in"
                    + " %.1f s (4 JVMs in parallel, ready) at height %d; reached height %d %.1f s after that: %.0f blocks/s; %.1f s from the first"
                    + " restart command%n", target - from, produced, liveChain ? "live" : "halted", seconds(t1) - catchUp, startHeight, target, catchUp,
                    (target - startHeight) / catchUp, seconds(t1));
            StringBuilder timeline = new StringBuilder("CATCH-UP timeline (s after ready: consensus height / ledger height):");
            for (int i = 0; i < samples.size(); i += 4) timeline.append(String.format(" %.1f: %d/%d", samples.get(i)[0] / 1e3, samples.get(i)[1], samples.get(i)[2]));
            System.out.println(timeline);
            assertThat(height(devnet, behind)).isGreaterThanOrEqualTo(target);
        }
    }

    static long height(Devnet devnet, int node) {
        return SharedDevnet.height(devnet.url("gateway", node));
    }

    static long consensusHeight(Devnet devnet, int node) {
        try {
            return given().baseUri(devnet.url("consensus", node)).get("/v1/consensus/status").then().extract().jsonPath().getLong("height");
        } catch (RuntimeException e) {
            return -1;
        }
    }

    static double seconds(long sinceNanos) {
        return (System.nanoTime() - sinceNanos) / 1e9;
    }
}
