package org.timecoin.e2e;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.timecoin.infra.Devnet;
import org.timecoin.protocol.codec.Hex;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.KeyHash;
import org.timecoin.protocol.genesis.DevnetGenesis;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxOutput;
import org.timecoin.protocol.rules.TransactionRules;

import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;

/** One 4-node devnet for every end-to-end test class of the JVM (started on first use, stopped at exit). */
final class SharedDevnet {
    static final int NODES = 4;
    static final int BASE_PORT = Integer.getInteger("timecoin.e2e.base-port", 25200);
    private static volatile Devnet devnet;

    private SharedDevnet() {
    }

    static Devnet get() {
        Devnet d = devnet;
        return d != null ? d : start();
    }

    // Awaitility evaluates conditions on its own thread: nothing below may call get() before devnet is set.
    private static synchronized Devnet start() {
        if (devnet == null) {
            Path root = Path.of(System.getProperty("timecoin.root", ".."));
            Path dir = Path.of(System.getProperty("timecoin.e2e.dir", "target/devnet"));
            deleteRecursively(dir); // a fresh chain: no databases, topics or signed-message records of an earlier run
            long t0 = System.nanoTime();
            Devnet started = Devnet.launch(root, dir, NODES, "e2e", BASE_PORT);
            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "e2e-devnet-stop"));
            // blocks are flowing on every node before any test starts
            long[] lastReport = {System.nanoTime()};
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).until(() -> {
                if (System.nanoTime() - lastReport[0] > 10_000_000_000L) { // progress, for whoever reads the test output
                    lastReport[0] = System.nanoTime();
                    StringBuilder line = new StringBuilder("E2E waiting for blocks: height/round");
                    for (int i = 0; i < NODES; i++) {
                        try {
                            JsonPath c = given().baseUri(started.url("consensus", i)).get("/v1/consensus/status").jsonPath();
                            line.append(' ').append(c.getLong("height")).append('/').append(c.getInt("round"));
                        } catch (RuntimeException e) {
                            line.append(" ?");
                        }
                    }
                    System.out.println(line);
                }
                for (int i = 0; i < NODES; i++) if (height(started.url("gateway", i)) < 2) return false;
                return true;
            });
            devnet = started;
            System.out.printf("E2E devnet of %d nodes up and at height 2 in %d s%n", NODES, (System.nanoTime() - t0) / 1_000_000_000L);
        }
        return devnet;
    }

    static void deleteRecursively(Path dir) {
        if (!java.nio.file.Files.exists(dir)) return;
        try (var paths = java.nio.file.Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static DevnetGenesis genesis() {
        return get().genesis();
    }

    static String gateway(int node) {
        return get().url("gateway", node);
    }

    static JsonPath chain(int node) {
        return given().baseUri(gateway(node)).get("/v1/chain").then().statusCode(200).extract().jsonPath();
    }

    static long height(int node) {
        return height(gateway(node));
    }

    static long height(String gateway) {
        try {
            return given().baseUri(gateway).get("/v1/chain").then().extract().jsonPath().getLong("height");
        } catch (RuntimeException e) {
            return -1;
        }
    }

    static String status(int node, Hash txid) {
        var r = given().baseUri(gateway(node)).get("/v1/transactions/" + txid.hex());
        return r.statusCode() == 200 ? r.jsonPath().getString("status") : "HTTP_" + r.statusCode();
    }

    static boolean isFinal(int node, Transaction tx) {
        return java.util.Set.of("FINAL", "CONFIRMED").contains(status(node, tx.txid()));
    }

    /**
     * For two conflicting transactions, on the listed nodes: true once one of them is final on every node (asserting
     * that it is the same one everywhere and that no node has both), or neither is final anywhere and both are given up
     * (released, rejected or unknown) everywhere; false while undecided. A split vote waits for the lock timeout.
     */
    static boolean settledWithOneWinnerAtMost(List<Integer> nodes, Transaction a, Transaction b) {
        java.util.Set<String> winners = new java.util.HashSet<>();
        boolean allGivenUp = true;
        for (int i : nodes) {
            boolean af = isFinal(i, a);
            boolean bf = isFinal(i, b);
            org.assertj.core.api.Assertions.assertThat(af && bf).as("node %d has both final", i).isFalse();
            if (af) winners.add(a.txid().hex());
            if (bf) winners.add(b.txid().hex());
            for (Transaction t : List.of(a, b)) allGivenUp &= java.util.Set.of("REJECTED", "RELEASED", "HTTP_404").contains(status(i, t.txid()));
        }
        org.assertj.core.api.Assertions.assertThat(winners).as("the same transaction won on every node").hasSizeLessThanOrEqualTo(1);
        if (winners.isEmpty()) return allGivenUp;
        for (int i : nodes) if (!isFinal(i, a) && !isFinal(i, b)) return false;
        return true;
    }

    /**
     * Waits until the listed nodes are at one height, {@code heights} times at distinct heights, and checks each time
     * that they agree on tip, UTXO commitment and supply (genesis + 100 TIME per block: fees move, nothing else is made).
     * Then each ledger's supply audit: the supply it keeps per block is the sum of its UTXO table.
     */
    static void agreeing(List<Integer> nodes, int heights, Duration timeout) {
        agreeing(get(), nodes, heights, timeout);
    }

    /** As {@link #agreeing(List, int, Duration)}, on any devnet. */
    static void agreeing(Devnet devnet, List<Integer> nodes, int heights, Duration timeout) {
        java.util.Set<Long> seen = new java.util.HashSet<>();
        await().atMost(timeout).pollInterval(Duration.ofMillis(50)).until(() -> {
            List<JsonPath> chains = new ArrayList<>();
            for (int i : nodes) chains.add(given().baseUri(devnet.url("gateway", i)).get("/v1/chain").then().statusCode(200).extract().jsonPath());
            long h = chains.get(0).getLong("height");
            if (chains.stream().anyMatch(c -> c.getLong("height") != h)) return false;
            for (JsonPath c : chains) {
                org.assertj.core.api.Assertions.assertThat(c.getString("tipHash")).isEqualTo(chains.get(0).getString("tipHash"));
                org.assertj.core.api.Assertions.assertThat(c.getString("utxoCommitment")).isEqualTo(chains.get(0).getString("utxoCommitment"));
                org.assertj.core.api.Assertions.assertThat(c.getLong("confirmedSupplySat"))
                        .isEqualTo(devnet.genesis().initialSupply().plus(org.timecoin.protocol.rules.RewardSplit.BLOCK_SUBSIDY.multiply(h)).sat());
            }
            seen.add(h);
            return seen.size() >= heights;
        });
        for (int i : nodes) {
            JsonPath audit = given().baseUri(devnet.url("ledger", i)).get("/v1/ledger/supply-audit").then().statusCode(200).extract().jsonPath();
            org.assertj.core.api.Assertions.assertThat(audit.getLong("countedSat")).as("node %d's UTXO table at height %d", i, audit.getLong("height"))
                    .isEqualTo(audit.getLong("trackedSat"))
                    .isEqualTo(devnet.genesis().initialSupply().plus(org.timecoin.protocol.rules.RewardSplit.BLOCK_SUBSIDY.multiply(audit.getLong("height"))).sat());
        }
    }

    /**
     * Waits until every genesis masternode has voting weight again at every node: one that was down long enough to miss
     * two proofs of service leaves the set, and re-enters at an epoch boundary after its next proof. A test that takes
     * one node down needs the other three's votes.
     */
    static void everyMasternodeVoting(Duration timeout) {
        await().atMost(timeout).pollInterval(Duration.ofMillis(500)).alias("every genesis masternode votes").untilAsserted(() -> {
            for (int i = 0; i < NODES; i++) {
                List<Map<String, Object>> listed = given().baseUri(gateway(i)).get("/v1/masternodes").then().statusCode(200).extract().jsonPath().getList("$");
                for (var m : genesis().masternodes()) {
                    var entry = listed.stream().filter(e -> m.nodeKey().publicKey().hex().equals(e.get("nodeKey"))).findFirst().orElseThrow();
                    org.assertj.core.api.Assertions.assertThat(((Number) entry.get("votingWeight")).longValue())
                            .as("node %d: weight of %s (proven at %s, expired from %s)", i, m.nodeKey().publicKey().hex(), entry.get("provenHeight"), entry.get("expiredFromHeight"))
                            .isPositive();
                }
            }
        });
    }

    static void submit(int node, Transaction tx) {
        given().baseUri(gateway(node)).contentType(ContentType.JSON).body("{\"hex\":\"" + Hex.encode(tx.toBytes()) + "\"}")
                .post("/v1/transactions").then().statusCode(202);
    }

    /** The genesis output of funded key {@code i}. */
    static OutPoint fundedOutput(int i) {
        return new OutPoint(genesis().block().transactions().get(0).txid(), i);
    }

    /** Pays {@code amount} from the given outputs (of {@code from}) to {@code to}, the rest back minus the minimum fee. */
    static Transaction pay(KeyPair from, List<OutPoint> inputs, Amount inputTotal, KeyHash to, Amount amount) {
        Amount fee = TransactionRules.minimumFee(TransactionRules.transferSize(inputs.size(), 2));
        List<TxOutput> outs = new ArrayList<>(List.of(new TxOutput(amount, to)));
        Amount change = inputTotal.minus(amount).minus(fee);
        if (!change.lessThan(TransactionRules.DUST_LIMIT)) outs.add(new TxOutput(change, from.keyHash()));
        List<KeyPair> signers = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) signers.add(from);
        return Transaction.transfer(inputs, outs).signed(genesis().chainId(), signers);
    }

    static Transaction payFromGenesis(int fundedKey, KeyHash to, Amount amount) {
        return pay(genesis().fundedKeys().get(fundedKey), List.of(fundedOutput(fundedKey)), DevnetGenesis.FUNDED_AMOUNT, to, amount);
    }

    record Coin(OutPoint outPoint, Amount amount) {
    }

    /** The largest UNSPENT output of a key, as node 0's ledger lists it (earlier tests may have spent a funded key's genesis coin). */
    static Coin largestUnspent(KeyPair owner) {
        String address = org.timecoin.protocol.model.Address.of(org.timecoin.protocol.model.Network.DEVNET, owner.keyHash()).toString();
        List<Map<String, Object>> utxos = given().baseUri(gateway(0)).queryParam("limit", 1000).get("/v1/addresses/" + address + "/utxos")
                .then().statusCode(200).extract().jsonPath().getList("utxos");
        Map<String, Object> best = utxos.stream().filter(u -> "UNSPENT".equals(u.get("state")))
                .max(java.util.Comparator.comparingLong(u -> ((Number) u.get("amountSat")).longValue()))
                .orElseThrow(() -> new AssertionError("no unspent output of " + address));
        return new Coin(new OutPoint(Hash.fromHex((String) best.get("txid")), (Integer) best.get("index")), Amount.sat(((Number) best.get("amountSat")).longValue()));
    }

    static Transaction payLargestUnspent(KeyPair from, KeyHash to, Amount amount) {
        Coin coin = largestUnspent(from);
        return pay(from, List.of(coin.outPoint()), coin.amount(), to, amount);
    }
}
