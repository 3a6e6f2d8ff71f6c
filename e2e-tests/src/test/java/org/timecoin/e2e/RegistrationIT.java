package org.timecoin.e2e;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.timecoin.e2e.SharedDevnet.gateway;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.timecoin.protocol.codec.Hex;
import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.model.Address;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.MasternodeActivation;
import org.timecoin.protocol.model.Network;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxOutput;
import org.timecoin.protocol.rules.ServiceProof;
import org.timecoin.protocol.rules.TransactionRules;
import org.timecoin.protocol.rules.ValidatorSet;
import org.timecoin.wallet.TimecoinCli;

/**
 * Third on the shared devnet (it changes the validator set, and puts it back for ByzantineIT): masternodes registered
 * with the CLI while the load generator runs. Registered nodes that never run count for nothing; one that proves it runs
 * (its key signs a recent block: this test plays that node) joins at the next epoch boundary without stalling anything;
 * a second registration of one collateral is refused on every node; spending the collateral takes the node out again.
 */
@Order(3)
class RegistrationIT {
    static final KeyPair OWNER = SharedDevnet.genesis().fundedKeys().get(9);

    static List<Map<String, Object>> masternodes(int node) {
        return given().baseUri(gateway(node)).get("/v1/masternodes").then().statusCode(200).extract().jsonPath().getList("$");
    }

    static Map<String, Object> listed(int node, KeyPair key) {
        return masternodes(node).stream().filter(m -> key.publicKey().hex().equals(m.get("nodeKey"))).findFirst().orElse(null);
    }

    static long totalWeight(int node) {
        return masternodes(node).stream().mapToLong(m -> ((Number) m.get("votingWeight")).longValue()).sum();
    }

    static KeyPair node(int i) {
        return Ed25519Keys.deterministic("registration-it", "node", i);
    }

    @Test
    void masternodesRegisteredUnderLoadJoinOnlyOnceTheyRunNeverStallAndOneCollateralBacksOneMasternode(@TempDir Path dir) throws Exception {
        Path ks = dir.resolve("operator.json");
        Path pass = dir.resolve("pass");
        Files.writeString(pass, "operator");
        String seed = SharedDevnet.genesis().seed();
        assertThat(TransactionFlowIT.cli(ks, pass, 0, "keys", "import", "--name", "owner", "--devnet-funded", "9", "--devnet-seed", seed).code()).isZero();
        for (int i = 5; i <= 10; i++) {
            Path key = dir.resolve("node" + i + ".key");
            Files.writeString(key, Hex.encode(node(i).privateKeyBytes()));
            assertThat(TransactionFlowIT.cli(ks, pass, 0, "keys", "import", "--name", "node" + i, "--private-key-file", key.toString()).code()).isZero();
        }
        long weightBefore = totalWeight(0);
        long p50Before = p50FinalityMillis(1, 7);

        // four collaterals of exactly 1,000 TIME, confirmed by a block
        SharedDevnet.Coin coin = SharedDevnet.largestUnspent(OWNER);
        List<TxOutput> outs = new ArrayList<>();
        for (int i = 0; i < 4; i++) outs.add(new TxOutput(Amount.time(1_000), OWNER.keyHash()));
        outs.add(new TxOutput(coin.amount().minus(Amount.time(4_000)).minus(TransactionRules.minimumFee(TransactionRules.transferSize(1, 5))), OWNER.keyHash()));
        Transaction funding = Transaction.transfer(List.of(coin.outPoint()), outs).signed(SharedDevnet.genesis().chainId(), List.of(OWNER));
        SharedDevnet.submit(0, funding);
        await().atMost(Duration.ofSeconds(60)).until(() -> "CONFIRMED".equals(SharedDevnet.status(0, funding.txid())));
        List<String> collaterals = List.of(0, 1, 2, 3).stream().map(i -> funding.txid().hex() + ":" + i).toList();

        // the load runs the whole time: payments from another funded key through all four gateways
        CompletableFuture<TransactionFlowIT.Result> load = CompletableFuture.supplyAsync(() -> TransactionFlowIT.cli(dir.resolve("load.json"), pass, 0,
                "--json", "load", "--gateways", gateway(0) + "," + gateway(1) + "," + gateway(2) + "," + gateway(3), "--rate", "8",
                "--duration-seconds", "30", "--lanes", "40", "--devnet-funded", "3", "--devnet-seed", seed, "--devnet-dir",
                SharedDevnet.get().dir().toString()));

        register(ks, pass, 1, "free", "node5", null, 0);
        register(ks, pass, 0, "bronze", "node6", collaterals.get(0), 0);
        // the same collateral for another node: refused, and final nowhere
        TransactionFlowIT.Result twice = register(ks, pass, 2, "bronze", "node7", collaterals.get(0), TimecoinCli.REJECTED);
        assertThat(TransactionFlowIT.JSON.readTree(twice.out()).path("reason").asText()).isEqualTo("COLLATERAL_IN_USE");
        Hash twiceTxid = Hash.fromHex(TransactionFlowIT.JSON.readTree(twice.out()).path("txid").asText());
        // three Bronze nodes registered and never started
        for (int i = 1; i <= 3; i++) register(ks, pass, i, "bronze", "node" + (7 + i), collaterals.get(i), 0);

        // node 6 runs (played here): its key signs the chain's tip, which only a synced node can name
        var tip = given().baseUri(gateway(0)).get("/v1/chain").then().statusCode(200).extract().jsonPath();
        Transaction activation = MasternodeActivation.sign(SharedDevnet.genesis().chainId(), node(6), tip.getLong("height"), Hash.fromHex(tip.getString("tipHash")))
                .transaction();
        SharedDevnet.submit(3, activation);
        await().atMost(Duration.ofSeconds(30)).until(() -> SharedDevnet.isFinal(0, activation));

        TransactionFlowIT.Result report = load.get();
        assertThat(report.code()).as(report.out()).isZero();
        var json = TransactionFlowIT.JSON.readTree(report.out().substring(report.out().lastIndexOf("{\"offeredPerSecond\"")));
        System.out.println("E2E load during registrations and an activation " + json);
        assertThat(json.path("failed").asLong()).isZero();
        assertThat(json.path("finalized").asLong()).isEqualTo(json.path("offered").asLong()).isGreaterThan(100);

        // from its boundary node 6 votes (weight 1); the ones that never ran count for nothing, on every node
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            for (int i = 0; i < SharedDevnet.NODES; i++) {
                assertThat(listed(i, node(6))).as("node %d lists node 6", i).isNotNull().containsEntry("votingWeight", 1).containsEntry("tier", "BRONZE");
                for (int never : List.of(5, 8, 9, 10)) {
                    assertThat(listed(i, node(never))).as("node %d lists node %d", i, never).isNotNull().containsEntry("votingWeight", 0)
                            .containsEntry("activeFromHeight", null);
                }
                assertThat(totalWeight(i)).isEqualTo(weightBefore + 1); // one collateral: one voter
                assertThat(listed(i, node(7))).isNull();
                assertThat(SharedDevnet.status(i, twiceTxid)).as("the second registration on node %d", i).isNotIn("FINAL", "CONFIRMED");
            }
        });
        // blocks went on through the change, every payment is archived, and all nodes agree
        SharedDevnet.agreeing(List.of(0, 1, 2, 3), 3, Duration.ofSeconds(60));
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            for (int i = 0; i < SharedDevnet.NODES; i++) {
                given().baseUri(gateway(i)).get("/v1/mempool").then().statusCode(200).body("finalNotInBlock", org.hamcrest.Matchers.is(0));
            }
        });
        // with 4 of its 5 voters running the network still finalizes payments
        long p50Absent = p50FinalityMillis(1, 7);

        // node 6 stops proving service (it never ran): two proofs missed, it is out of the set from a boundary, everywhere,
        // while the genesis nodes prove by themselves all along and stay
        long proven = ((Number) listed(0, node(6)).get("provenHeight")).longValue();
        await().atMost(Duration.ofSeconds(4 * ServiceProof.EXPIRY_BLOCKS)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            for (int i = 0; i < SharedDevnet.NODES; i++) {
                assertThat(listed(i, node(6))).as("node %d lists node 6", i).containsEntry("votingWeight", 0);
                assertThat(totalWeight(i)).isEqualTo(weightBefore);
            }
        });
        long expiredFrom = ((Number) listed(0, node(6)).get("expiredFromHeight")).longValue();
        assertThat(expiredFrom - proven).isGreaterThan(ServiceProof.EXPIRY_BLOCKS).isLessThanOrEqualTo(ServiceProof.EXPIRY_BLOCKS + ValidatorSet.EPOCH_BLOCKS);
        for (var m : SharedDevnet.genesis().masternodes()) {
            assertThat(((Number) listed(0, m.nodeKey()).get("provenHeight")).longValue()).as("a genesis node proved by itself")
                    .isGreaterThan(expiredFrom - 2 * ServiceProof.INTERVAL_BLOCKS);
        }
        long p50Expired = p50FinalityMillis(1, 7);
        System.out.printf("E2E finality p50 (7 payments each): %d ms before the registrations, %d ms with 4 of 5 voters running, %d ms once the"
                + " absent one expired (proven at %d, out from %d)%n", p50Before, p50Absent, p50Expired, proven, expiredFrom);

        // spending node 6's collateral takes it out at the next boundary
        Transaction leave = SharedDevnet.pay(OWNER, List.of(new OutPoint(funding.txid(), 0)), Amount.time(1_000), OWNER.keyHash(), Amount.time(999));
        SharedDevnet.submit(0, leave);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            for (int i = 0; i < SharedDevnet.NODES; i++) {
                assertThat(listed(i, node(6))).as("node %d after the collateral's spend", i).isNull();
                assertThat(totalWeight(i)).isEqualTo(weightBefore);
            }
        });
        SharedDevnet.agreeing(List.of(0, 1, 2, 3), 2, Duration.ofSeconds(60));
    }

    /** The median time to finality, seen at {@code node}, of {@code n} payments submitted there one after another. */
    static long p50FinalityMillis(int node, int n) {
        KeyPair payer = SharedDevnet.genesis().fundedKeys().get(4);
        List<Long> millis = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Transaction tx = SharedDevnet.payLargestUnspent(payer, OWNER.keyHash(), Amount.time(1));
            long t0 = System.nanoTime();
            SharedDevnet.submit(node, tx);
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(10)).until(() -> SharedDevnet.isFinal(node, tx));
            millis.add((System.nanoTime() - t0) / 1_000_000);
            await().atMost(Duration.ofSeconds(20)).until(() -> SharedDevnet.isFinal(0, tx)); // its change is what node 0 lists next
        }
        java.util.Collections.sort(millis);
        return millis.get(n / 2);
    }

    private static TransactionFlowIT.Result register(Path ks, Path pass, int node, String tier, String name, String collateral, int expected) {
        List<String> args = new ArrayList<>(List.of("--json", "register-masternode", "--from", "owner", "--tier", tier, "--node-name", name,
                "--host", "127.0.0.1", "--port", String.valueOf(25290 + Integer.parseInt(name.substring(4)))));
        if (collateral != null) args.addAll(List.of("--collateral", collateral));
        TransactionFlowIT.Result r = TransactionFlowIT.cli(ks, pass, node, args.toArray(String[]::new));
        assertThat(r.code()).as(r.out()).isEqualTo(expected);
        return r;
    }
}
