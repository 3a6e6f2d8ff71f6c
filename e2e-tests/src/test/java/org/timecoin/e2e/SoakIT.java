package org.timecoin.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.timecoin.infra.Devnet;
import org.timecoin.infra.JvmHeap;
import org.timecoin.wallet.TimecoinCli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Soak (not in the default run): a devnet of its own under steady load for a long time. Every payment offered must
 * become final, and at the end every node must agree on tip, UTXO commitment and supply. Prints the load report with
 * each service's heap and RSS over the run, and each service's heap after a full GC before and after (growth per
 * 10,000 transactions). The {@code soak} profile runs it for 24 hours; any length, rate and size by property:
 * <pre>
 *   ./mvnw -pl e2e-tests verify -Psoak                                   # 24 h, 4 nodes, 5 tx/s
 *   ./mvnw -pl e2e-tests verify -Dit.test=SoakIT -Dtimecoin.soak.minutes=30 [-Dtimecoin.soak.nodes=7] [-Dtimecoin.soak.rate=10]
 * </pre>
 */
@EnabledIfSystemProperty(named = "timecoin.soak.minutes", matches = "\\d+")
class SoakIT {
    static final int BASE_PORT = 25400;
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everyPaymentIsFinalAndEveryNodeAgreesAfterHoursOfLoad() throws Exception {
        int minutes = Integer.getInteger("timecoin.soak.minutes");
        int nodes = Integer.getInteger("timecoin.soak.nodes", 4);
        String rate = System.getProperty("timecoin.soak.rate", "5");
        Path root = Path.of(System.getProperty("timecoin.root", ".."));
        Path dir = Path.of("target/devnet-soak").toAbsolutePath();
        SharedDevnet.deleteRecursively(dir);
        try (Devnet devnet = Devnet.launch(root, dir, nodes, "soak", BASE_PORT, Map.of())) {
            await().atMost(Duration.ofMinutes(5)).until(() -> allAtLeast(devnet, 2));
            List<String> gateways = new ArrayList<>();
            for (int i = 0; i < nodes; i++) gateways.add(devnet.url("gateway", i));
            long[] heapBefore = heapAfterFullGc(devnet);

            Path pass = Files.writeString(dir.resolve("pass"), "x");
            var out = new java.io.StringWriter();
            int code = new picocli.CommandLine(new TimecoinCli().withOutput(new java.io.PrintWriter(out, true))).execute("--json", "--keystore",
                    dir.resolve("unused.json").toString(), "--passphrase-file", pass.toString(), "--gateway", gateways.get(0), "load", "--gateways",
                    String.join(",", gateways), "--rate", rate, "--duration-seconds", Integer.toString(minutes * 60), "--lanes", "200",
                    "--devnet-funded", "9", "--devnet-seed", devnet.genesis().seed(), "--devnet-dir", dir.toString(), "--sample-seconds",
                    Integer.toString(Math.max(10, minutes)));
            assertThat(code).as(out.toString()).isZero();
            String text = out.toString();
            JsonNode report = JSON.readTree(text.substring(text.lastIndexOf("{\"offeredPerSecond\"")));
            System.out.println("SOAK load report " + report);

            long[] heapAfter = heapAfterFullGc(devnet);
            long finalized = report.path("finalized").asLong();
            // per 10,000 transactions only from a run that long: a short run's difference is noise, not growth
            StringBuilder growth = new StringBuilder(String.format("SOAK heap after a full GC, before -> after (MiB), %d transactions%s:", finalized,
                    finalized >= 10_000 ? ", growth per 10,000" : ""));
            List<Devnet.Service> services = devnet.services();
            for (int i = 0; i < services.size(); i++) {
                growth.append(String.format("%n  node%d %-9s %6.1f -> %6.1f", services.get(i).node(), services.get(i).name(), heapBefore[i] / 1048576.0,
                        heapAfter[i] / 1048576.0));
                if (finalized >= 10_000) growth.append(String.format("  %+6.2f MiB", (heapAfter[i] - heapBefore[i]) / 1048576.0 * 10_000 / finalized));
            }
            System.out.println(growth);

            assertThat(report.path("failed").asLong()).as("payments whose finality was not seen").isZero();
            assertThat(finalized).isEqualTo(report.path("offered").asLong()).isPositive();
            SharedDevnet.agreeing(devnet, java.util.stream.IntStream.range(0, nodes).boxed().toList(), 1, Duration.ofMinutes(2));
        }
    }

    static boolean allAtLeast(Devnet devnet, long height) {
        for (int i = 0; i < devnet.nodes(); i++) if (SharedDevnet.height(devnet.url("gateway", i)) < height) return false;
        return true;
    }

    /** Heap in use per service right after a full GC, in {@link Devnet#services()} order. */
    static long[] heapAfterFullGc(Devnet devnet) throws Exception {
        List<Devnet.Service> services = devnet.services();
        long[] out = new long[services.size()];
        for (int i = 0; i < services.size(); i++) out[i] = JvmHeap.afterFullGc(services.get(i).pid(), services.get(i).url());
        return out;
    }
}
