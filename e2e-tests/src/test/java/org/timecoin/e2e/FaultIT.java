package org.timecoin.e2e;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.timecoin.e2e.SharedDevnet.NODES;
import static org.timecoin.e2e.SharedDevnet.chain;
import static org.timecoin.e2e.SharedDevnet.height;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.timecoin.infra.Devnet;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.KeyHash;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.model.Amount;

import io.restassured.path.json.JsonPath;

/** Crashes and outages on the shared devnet; it must keep making blocks, never fork, and heal by itself. */
@Order(2)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultIT {
    static Devnet devnet;

    @BeforeAll
    static void devnet() {
        devnet = SharedDevnet.get();
    }

    /** Each test takes a node's service down and needs the other three's votes: a node an earlier test stopped is back in the set. */
    @BeforeEach
    void everyMasternodeVoting() {
        SharedDevnet.everyMasternodeVoting(Duration.ofSeconds(120));
    }

    static JsonPath consensus(int node) {
        return given().baseUri(devnet.url("consensus", node)).get("/v1/consensus/status").then().statusCode(200).extract().jsonPath();
    }

    static List<Integer> others(int except) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < NODES; i++) if (i != except) out.add(i);
        return out;
    }

    @Test
    @Order(1)
    void whenTheLeadersConsensusIsKilledTheRoundTimesOutAndBlocksContinue() {
        // right after a block: the next leader has not proposed yet (the devnet waits 2 s between blocks)
        long h0 = height(0);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> height(0) > h0);
        JsonPath tip = chain(0);
        long h = tip.getLong("height");
        PublicKey leader = SharedDevnet.genesis().validatorSet().atHeight(h + 1).leader(Hash.fromHex(tip.getString("tipHash")), 0);
        int victim = -1;
        for (int i = 0; i < NODES; i++) if (SharedDevnet.genesis().masternodes().get(i).nodeKey().publicKey().equals(leader)) victim = i;
        assertThat(victim).isNotNegative();
        double roundChangesBefore = consensus(others(victim).get(0)).getDouble("votes.roundChanges");
        devnet.kill(victim, "consensus");

        int survivor = others(victim).get(0);
        await().atMost(Duration.ofSeconds(90)).until(() -> height(survivor) >= h + 3);
        assertThat(consensus(survivor).getDouble("votes.roundChanges")).as("a view change happened").isGreaterThan(roundChangesBefore);

        devnet.restart(victim, "consensus");
        int restarted = victim;
        await().atMost(Duration.ofSeconds(90)).until(() -> consensus(restarted).getLong("height") >= height(survivor));
        SharedDevnet.agreeing(List.of(0, 1, 2, 3), 2, Duration.ofSeconds(90));
        for (int i = 0; i < NODES; i++) assertThat(consensus(i).getInt("evidence")).as("equivocation evidence at node %d", i).isZero();
    }

    @Test
    @Order(2)
    void aNodeStoppedForSeveralBlocksCatchesUpByItself() {
        int node = 3;
        for (String s : List.of("gateway", "p2p", "consensus", "ledger")) devnet.stop(node, s);
        long h = height(0);
        await().atMost(Duration.ofSeconds(90)).until(() -> height(0) >= h + 6);
        for (String s : List.of("ledger", "consensus", "p2p", "gateway")) devnet.restart(node, s);
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).until(() -> height(node) >= height(0) - 1);
        SharedDevnet.agreeing(List.of(0, 1, 2, 3), 2, Duration.ofSeconds(90));
        // and it takes part again: a transaction submitted at the node that was down becomes final everywhere
        var tx = SharedDevnet.payFromGenesis(5, SharedDevnet.genesis().fundedKeys().get(6).keyHash(), Amount.time(1));
        SharedDevnet.submit(node, tx);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            for (int i = 0; i < NODES; i++) assertThat(SharedDevnet.status(i, tx.txid())).isIn("FINAL", "CONFIRMED");
        });
    }

    @Test
    @Order(3)
    void aLedgerKilledMidStreamLosesNothingAndAppliesNothingTwice() {
        int node = 1;
        var tx = SharedDevnet.payFromGenesis(7, SharedDevnet.genesis().fundedKeys().get(8).keyHash(), Amount.time(2));
        SharedDevnet.submit(0, tx);
        devnet.kill(node, "ledger");
        long h = height(0);
        await().atMost(Duration.ofSeconds(60)).until(() -> height(0) >= h + 2);
        devnet.restart(node, "ledger");
        await().atMost(Duration.ofSeconds(90)).until(() -> height(node) >= height(0) - 1);
        SharedDevnet.agreeing(List.of(0, 1, 2, 3), 2, Duration.ofSeconds(90));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            for (int i = 0; i < NODES; i++) assertThat(SharedDevnet.status(i, tx.txid())).as("node %d", i).isEqualTo("CONFIRMED");
        });
    }

    /**
     * The shared broker crashes (kill -9) right after a transaction was accepted, and comes back with its data: every
     * service reconnects by itself, the transaction is confirmed on every node, blocks continue with the supply invariant
     * intact (a block applied twice would break it), and a transaction sent after the crash is final everywhere.
     */
    @Test
    @Order(4)
    void theBrokerCrashesMidStreamAndNothingIsLostOrAppliedTwice() {
        var before = SharedDevnet.payFromGenesis(6, SharedDevnet.genesis().fundedKeys().get(0).keyHash(), Amount.time(3));
        SharedDevnet.submit(2, before);
        devnet.crashBroker();
        long h = height(0);
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).until(() -> height(0) >= h + 3);
        SharedDevnet.agreeing(List.of(0, 1, 2, 3), 2, Duration.ofSeconds(120));
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            for (int i = 0; i < NODES; i++) assertThat(SharedDevnet.status(i, before.txid())).as("node %d", i).isEqualTo("CONFIRMED");
        });
        var after = SharedDevnet.payFromGenesis(0, SharedDevnet.genesis().fundedKeys().get(6).keyHash(), Amount.time(4));
        SharedDevnet.submit(1, after);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            for (int i = 0; i < NODES; i++) assertThat(SharedDevnet.status(i, after.txid())).as("node %d", i).isIn("FINAL", "CONFIRMED");
        });
    }

    /**
     * OPERATIONS.md's upgrade, one service at a time (ledger, p2p, consensus, gateway), each stopped as Kubernetes stops
     * a pod (SIGTERM, a clean shutdown: every offset committed) and started again, two blocks later, while the rest of its
     * stack runs on.
     * After each, the node is back at the tip and a payment submitted to it is final on every node.
     */
    @Test
    @Order(5)
    void aRollingRestartOfOneNodesServicesOneAtATimeKeepsItInTheNetwork() {
        int node = 2;
        KeyHash payee = SharedDevnet.genesis().fundedKeys().get(1).keyHash();
        for (String service : List.of("ledger", "p2p", "consensus", "gateway")) {
            devnet.stop(node, service);
            long stoppedAt = height(0);
            // the new pod takes a while (an image to pull): the network goes on meanwhile
            await().atMost(Duration.ofSeconds(60)).until(() -> height(0) >= stoppedAt + 2);
            devnet.restart(node, service);
            long h = height(0);
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).alias("node " + node + " back at the tip after its " + service + " restarted")
                    .until(() -> height(node) >= h && consensus(node).getLong("height") > h);
            KeyPair payer = SharedDevnet.genesis().fundedKeys().get(7);
            var tx = SharedDevnet.payLargestUnspent(payer, payee, Amount.time(1));
            SharedDevnet.submit(node, tx);
            await().atMost(Duration.ofSeconds(60)).alias("a payment at node " + node + " after its " + service + " restarted").untilAsserted(() -> {
                for (int i = 0; i < NODES; i++) assertThat(SharedDevnet.status(i, tx.txid())).as("node %d", i).isIn("FINAL", "CONFIRMED");
            });
        }
        SharedDevnet.agreeing(List.of(0, 1, 2, 3), 2, Duration.ofSeconds(90));
    }
}
