package org.timecoin.wallet;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.timecoin.protocol.codec.Hex;
import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.Network;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxOutput;
import org.timecoin.protocol.rules.TransactionRules;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code timecoin load}: drives a devnet with signed transactions at a target rate and reports what it offered, what
 * became final and how long finality took. Funds: one genesis-funded key is split into {@code lanes} outputs, one per
 * lane key; each lane then pays itself in a chain (its next transaction spends the previous one's output, which is
 * spendable as soon as it is final). A tick with no idle lane is counted as "not offered" — raise --lanes if that
 * number is not zero.
 */
@Command(name = "load", description = "drive a devnet at a target rate of signed transactions and report finality")
final class LoadGenerator extends TimecoinCli.Sub {
    @Option(names = "--gateways", required = true, split = ",", description = "gateway URLs; lanes are spread over them")
    List<String> gateways;
    @Option(names = "--rate", defaultValue = "100", description = "transactions per second offered")
    double rate;
    @Option(names = "--duration-seconds", defaultValue = "30")
    int durationSeconds;
    @Option(names = "--lanes", defaultValue = "200", description = "independent payment chains (each waits for finality before its next payment)")
    int lanes;
    @Option(names = "--devnet-funded", defaultValue = "9", description = "the genesis-funded key that pays for the run")
    int funded;
    @Option(names = "--devnet-seed", defaultValue = "devnet")
    String seed;
    @Option(names = "--metrics", split = ",", description = "service base URLs whose heap use (/q/metrics) is sampled over the run")
    List<String> metrics = List.of();
    @Option(names = "--devnet-dir", description = "a local devnet's folder (bin/devnet: .devnet): sample heap and RSS of every one of its services")
    Path devnetDir;
    @Option(names = "--sample-seconds", defaultValue = "10", description = "interval of the memory and CPU samples")
    int sampleSeconds;

    @Option(names = "--floor-file", defaultValue = "target/payment-floor.properties",
            description = "the floor per payment per node that bin/bench floor measured, printed beside the measured CPU (skipped when absent)")
    Path floorFile;

    private static final ObjectMapper JSON = new ObjectMapper();
    // HTTP/1.1, a connection per request in flight: over h2c the client multiplexes every lane onto one connection per
    // gateway, and past the server's concurrent-stream limit (a lane's finality wait holds a stream) submissions queue
    // in the client, so the generator measured its own queue (p50 8-11 s at 40 tx/s while the gateways answered in ~1.4 s)
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    /** A lane keeps to one gateway: a final answer there means that node's ledger can spend the output at once. */
    private record Lane(KeyPair key, OutPoint utxo, Amount amount, String gateway) {
    }

    @Override
    int run(TimecoinCli cli) throws Exception {
        Network network = Network.DEVNET;
        KeyPair source = Ed25519Keys.deterministic(seed, "funded", funded);
        GatewayClient g = new GatewayClient(gateways.get(0));
        String sourceAddress = org.timecoin.protocol.model.Address.of(network, source.publicKey()).toString();
        List<JsonNode> utxos = TimecoinCli.spendable(g, sourceAddress);
        if (utxos.isEmpty()) throw new GatewayClient.ApiError(0, "INSUFFICIENT_FUNDS", "funded key " + funded + " has nothing to spend");
        JsonNode biggest = utxos.get(0);
        Amount total = Amount.sat(biggest.path("amountSat").asLong());
        Amount fee = TransactionRules.minimumFee(TransactionRules.transferSize(1, lanes + 1));
        Amount perLane = Amount.sat((total.sat() - fee.sat()) / (lanes + 1)); // the split's fee comes first, then equal lanes
        List<KeyPair> laneKeys = new ArrayList<>();
        List<TxOutput> outs = new ArrayList<>();
        for (int i = 0; i < lanes; i++) {
            KeyPair k = Ed25519Keys.deterministic(seed + "-load-" + System.currentTimeMillis(), "lane", i);
            laneKeys.add(k);
            outs.add(new TxOutput(perLane, k.keyHash()));
        }
        Amount change = total.minus(perLane.multiply(lanes)).minus(fee);
        if (!change.lessThan(TransactionRules.DUST_LIMIT)) outs.add(new TxOutput(change, source.keyHash()));
        Transaction split = Transaction.transfer(List.of(new OutPoint(Hash.fromHex(biggest.path("txid").asText()), biggest.path("index").asInt())), outs)
                .signed(network.chainId(), List.of(source));
        g.post("/v1/transactions", java.util.Map.of("hex", Hex.encode(split.toBytes())));
        JsonNode s = g.get("/v1/transactions/" + split.txid().hex() + "/finality?timeoutMillis=30000");
        if (!s.path("status").asText().matches("FINAL|CONFIRMED")) throw new GatewayClient.ApiError(0, "SPLIT_NOT_FINAL", s.toString());
        ConcurrentLinkedQueue<Lane> idle = new ConcurrentLinkedQueue<>();
        for (int i = 0; i < lanes; i++) idle.add(new Lane(laneKeys.get(i), new OutPoint(split.txid(), i), perLane, gateways.get(i % gateways.size())));

        List<ResourceSampler.Target> targets = new ArrayList<>();
        if (devnetDir != null) targets.addAll(ResourceSampler.devnet(devnetDir));
        for (String m : metrics) targets.add(new ResourceSampler.Target(m, m, -1));
        ResourceSampler resources = new ResourceSampler(targets);
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "resource-sampler");
            t.setDaemon(true);
            return t;
        });
        if (!resources.isEmpty()) sampler.scheduleAtFixedRate(resources::sample, 0, sampleSeconds, TimeUnit.SECONDS);
        JsonNode chainBefore = g.get("/v1/chain");
        AtomicLong offered = new AtomicLong();
        AtomicLong notOffered = new AtomicLong();
        AtomicLong finalized = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        java.util.Map<String, AtomicLong> failures = new java.util.concurrent.ConcurrentSkipListMap<>(); // by the node's answer
        java.util.Map<String, AtomicLong> clientErrors = new java.util.concurrent.ConcurrentSkipListMap<>(); // by the generator's exception
        // server errors after which the outcome had to be asked for (the gateway's rare 500 while writing an answer, docs/BENCHMARKS.md)
        java.util.Map<String, AtomicLong> answersLost = new java.util.concurrent.ConcurrentSkipListMap<>();
        ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        long start = System.nanoTime();
        long end = start + durationSeconds * 1_000_000_000L;
        long interval = (long) (1_000_000_000L / rate);
        long next = start;
        long lastReport = start;
        while (System.nanoTime() < end) {
            long now = System.nanoTime();
            if (now < next) {
                // sleep, never spin: on the devnet's machine a spinning generator takes a CPU from the nodes it measures
                java.util.concurrent.locks.LockSupport.parkNanos(next - now);
                continue;
            }
            next += interval;
            Lane lane = idle.poll();
            if (lane == null) {
                notOffered.incrementAndGet();
                continue;
            }
            Amount laneFee = TransactionRules.minimumFee(TransactionRules.transferSize(1, 1));
            Amount out = lane.amount().minus(laneFee);
            Transaction tx = Transaction.transfer(List.of(lane.utxo()), List.of(new TxOutput(out, lane.key().keyHash())))
                    .signed(network.chainId(), List.of(lane.key()));
            String gateway = lane.gateway();
            offered.incrementAndGet();
            long t0 = System.nanoTime();
            // submission and finality in one request, as a wallet does it (a refused submission answers its problem)
            HttpRequest submit = HttpRequest.newBuilder(URI.create(gateway + "/v1/transactions?waitMillis=30000")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"hex\":\"" + Hex.encode(tx.toBytes()) + "\"}")).timeout(Duration.ofSeconds(40)).build();
            http.sendAsync(submit, HttpResponse.BodyHandlers.ofByteArray())
                    .thenCompose(r -> {
                        // a server error after the submission was taken (the answer lost, not the payment): ask for its
                        // outcome as a wallet would, and report how often that was needed
                        if (r.statusCode() < 500 || r.statusCode() == 503) return java.util.concurrent.CompletableFuture.completedFuture(r);
                        answersLost.computeIfAbsent("HTTP " + r.statusCode(), k -> new AtomicLong()).incrementAndGet();
                        return http.sendAsync(HttpRequest.newBuilder(URI.create(gateway + "/v1/transactions/" + tx.txid().hex() + "/finality?timeoutMillis=30000"))
                                .timeout(Duration.ofSeconds(40)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
                    })
                    .whenComplete((r, x) -> {
                        if (x != null) {
                            // the generator's own side (no connection, its timeout): not an answer of the node
                            Throwable cause = rootCause(x);
                            clientErrors.computeIfAbsent(cause.getClass().getSimpleName(), k -> new AtomicLong()).incrementAndGet();
                            if (cause instanceof java.net.ConnectException) {
                                refused.incrementAndGet(); // never reached the node: the lane's output is unspent, the lane goes on
                                idle.add(lane);
                            } else {
                                failed.incrementAndGet(); // sent, outcome unknown: the lane's output is in doubt, the lane retires
                            }
                            return;
                        }
                        String status;
                        try {
                            JsonNode body = JSON.readTree(r.body());
                            status = r.statusCode() >= 400 ? "HTTP " + r.statusCode() + " " + body.path("title").asText() : body.path("status").asText("HTTP " + r.statusCode());
                        } catch (Exception e) {
                            status = "HTTP " + r.statusCode() + " without JSON";
                        }
                        if (status.equals("FINAL") || status.equals("CONFIRMED")) {
                            latencies.add(System.nanoTime() - t0);
                            finalized.incrementAndGet();
                            idle.add(new Lane(lane.key(), new OutPoint(tx.txid(), 0), out, gateway));
                        } else if (REFUSED_UNPUBLISHED.contains(status)) {
                            refused.incrementAndGet(); // never published: the lane's output is still unspent, the lane goes on
                            idle.add(lane);
                        } else {
                            failed.incrementAndGet(); // the lane's output is in doubt: the lane retires
                            failures.computeIfAbsent(status, k -> new AtomicLong()).incrementAndGet();
                        }
                    });
            if (now - lastReport > 5_000_000_000L) {
                lastReport = now;
                cli.out.printf("  %3d s: offered %d, final %d, not offered (no idle lane) %d, refused (node busy) %d, failed %d%n", (now - start) / 1_000_000_000L,
                        offered.get(), finalized.get(), notOffered.get(), refused.get(), failed.get());
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long waitUntil = System.nanoTime() + 30_000_000_000L; // let the last ones finish (they count, their latency is real)
        while (finalized.get() + failed.get() + refused.get() < offered.get() && System.nanoTime() < waitUntil) Thread.sleep(50);
        JsonNode chainAfter = g.get("/v1/chain");
        sampler.shutdownNow();
        sampler.awaitTermination(10, TimeUnit.SECONDS);
        if (!resources.isEmpty()) resources.sample();
        long[] lat = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        long blocks = chainAfter.path("height").asLong() - chainBefore.path("height").asLong();
        // from genesis (whose timestamp is fixed, not when it was made) there is no interval to measure
        double blockSeconds = blocks == 0 || chainBefore.path("height").asLong() == 0 ? Double.NaN
                : (chainAfter.path("tipTimestampMillis").asLong() - chainBefore.path("tipTimestampMillis").asLong()) / 1000.0 / blocks;
        java.util.Map<String, Object> result = TimecoinCli.map("offeredPerSecond", Math.round(offered.get() / seconds), "finalizedPerSecond",
                Math.round(finalized.get() / seconds), "offered", offered.get(), "finalized", finalized.get(), "notOffered", notOffered.get(), "refused", refused.get(), "failed",
                failed.get(), "failures", failures, "clientErrors", clientErrors, "answersLost", answersLost, "latencyP50Millis", pct(lat, 0.50), "latencyP99Millis", pct(lat, 0.99), "latencyMaxMillis", pct(lat, 1.0), "blocks", blocks,
                "secondsPerBlock", Double.isNaN(blockSeconds) ? null : Math.round(blockSeconds * 100) / 100.0, "services", resources.report(), "machineCpuSeconds", resources.machineCpuSeconds(), "floorMicrosPerPaymentPerNode", floorMicros());
        cli.print(result, String.format("offered %.0f tx/s, finalized %.0f tx/s (%d of %d; %d not offered for want of an idle lane, %d refused "
                        + "unpublished (node busy or unreachable), %d failed%s%s); finality p50 %d ms, p99 %d ms, max %d ms; %d blocks, %s per block%n%s",
                offered.get() / seconds, finalized.get() / seconds, finalized.get(), offered.get(), notOffered.get(), refused.get(), failed.get(),
                failures.isEmpty() ? "" : " " + failures + " answered by the nodes", clientErrors.isEmpty() ? "" : ", client-side errors " + clientErrors, pct(lat, 0.5),
                pct(lat, 0.99), pct(lat, 1.0), blocks, Double.isNaN(blockSeconds) ? "—" : String.format("%.2f s", blockSeconds), resources.isEmpty() ? "(no resources sampled: --devnet-dir or --metrics)" : resources.table(finalized.get(), floorMicros())));
        return TimecoinCli.OK;
    }

    /** The floor {@code bin/bench floor} wrote, in µs per payment per node; 0 when there is none. */
    double floorMicros() {
        if (floorFile == null || !java.nio.file.Files.isRegularFile(floorFile)) return 0;
        java.util.Properties p = new java.util.Properties();
        try (var in = java.nio.file.Files.newBufferedReader(floorFile)) {
            p.load(in);
            return Double.parseDouble(p.getProperty("floorMicrosPerPaymentPerNode", "0"));
        } catch (java.io.IOException | NumberFormatException e) {
            return 0;
        }
    }

    /** Answers to a submission that was refused before it was published (rate limit, wait limit, full mempool): its input is unspent. */
    static final java.util.Set<String> REFUSED_UNPUBLISHED = java.util.Set.of("HTTP 429 RATE_LIMITED", "HTTP 429 TOO_MANY_WAITERS", "HTTP 503 MEMPOOL_FULL");

    private static Throwable rootCause(Throwable x) {
        while (x.getCause() != null && x.getCause() != x) x = x.getCause();
        return x;
    }

    private static long pct(long[] sorted, double p) {
        if (sorted.length == 0) return -1;
        return sorted[Math.min(sorted.length - 1, (int) (sorted.length * p))] / 1_000_000;
    }
}
