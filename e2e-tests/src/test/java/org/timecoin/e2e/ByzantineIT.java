package org.timecoin.e2e;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;
import static org.timecoin.e2e.SharedDevnet.NODES;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.timecoin.infra.Devnet;
import org.timecoin.infra.TopicProbe;
import org.timecoin.protocol.codec.Hex;
import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.Hashes;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.ConsensusMessage;
import org.timecoin.protocol.model.SignedConsensusMessage;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxVerdict;
import org.timecoin.protocol.model.TxVoteBatch;
import org.timecoin.protocol.model.VoteEntry;
import org.timecoin.protocol.stack.StackRecords;

import io.restassured.path.json.JsonPath;

/**
 * One registered masternode turns Byzantine (f = 1 of 4). Node 3's consensus service is stopped and the test signs, with
 * node 3's own key, what a compromised stack would send instead: approvals of both halves of a double spend, a vote
 * changed after it was cast, and two different Prepares for one height and round. They go out as node 3's consensus
 * would send them, through its {@code consensus.out} topic and its own p2p service, so the honest nodes receive them
 * over the real network, signed by a validator they must listen to. Safety must hold (at most one half final, the same
 * everywhere), both kinds of equivocation must be reported as evidence naming node 3, blocks must go on, and an honest
 * consensus service restarted in node 3's stack must rejoin.
 */
@Order(4)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ByzantineIT {
    static final int ROGUE = 3;
    static final List<Integer> HONEST = List.of(0, 1, 2);
    static Devnet devnet;
    static KeyPair rogueKey;
    static TopicProbe rogueStack;

    @BeforeAll
    static void compromiseNodeThree() {
        devnet = SharedDevnet.get();
        rogueKey = SharedDevnet.genesis().masternodes().get(ROGUE).nodeKey();
        SharedDevnet.everyMasternodeVoting(Duration.ofSeconds(120));
        // Node 3's consensus stops having read its ledger's every announcement, as it nearly always has with 10-minute
        // blocks (with the devnet's 2 s blocks a block finalized just before the stop is announced after it, and that
        // record would bring a restarted service back by itself): cut off from its peers first, it finalizes nothing
        // more, and it is stopped once it has started the height after its ledger's last block.
        devnet.stop(ROGUE, "p2p");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            JsonPath consensus = given().baseUri(devnet.url("consensus", ROGUE)).get("/v1/consensus/status").then().statusCode(200).extract().jsonPath();
            return consensus.getLong("height") == SharedDevnet.height(ROGUE) + 1 && !consensus.getString("phase").equals("FINALIZED");
        });
        devnet.stop(ROGUE, "consensus");
        devnet.restart(ROGUE, "p2p");
        rogueStack = new TopicProbe(devnet.infra().kafka(), "node" + ROGUE + ".", List.of());
        // a compromised stack keeps proving service, or it would leave the set (PROTOCOL.md, "Proof of service") and its
        // messages would be a stranger's: node 3's key signs its ledger's tip now and then (too soon ones are refused)
        prover = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "rogue-proof-of-service");
            t.setDaemon(true);
            return t;
        });
        prover.scheduleWithFixedDelay(ByzantineIT::proveService, 0, 8, java.util.concurrent.TimeUnit.SECONDS);
    }

    static java.util.concurrent.ScheduledExecutorService prover;

    static void proveService() {
        try {
            JsonPath tip = given().baseUri(SharedDevnet.gateway(ROGUE)).get("/v1/chain").then().statusCode(200).extract().jsonPath();
            Transaction proof = org.timecoin.protocol.model.MasternodeActivation.sign(SharedDevnet.genesis().chainId(), rogueKey, tip.getLong("height"),
                    Hash.fromHex(tip.getString("tipHash"))).transaction();
            rogueStack.publish("tx.submitted", proof.txid().toByteArray(), proof.toBytes());
        } catch (RuntimeException e) {
            // the next one will do: its gateway restarting or the broker busy
        }
    }

    @AfterAll
    static void close() {
        if (prover != null) prover.shutdownNow();
        if (rogueStack != null) rogueStack.close();
    }

    /** Sends what node 3's consensus would: a record on its consensus.out, which its p2p signs nothing of, only relays. */
    static void send(StackRecords.PeerTraffic traffic) {
        rogueStack.publish("consensus.out", StackRecords.encode(traffic));
    }

    static TxVoteBatch votes(List<VoteEntry> entries) {
        long epoch = SharedDevnet.chain(0).getLong("validatorSetEpoch");
        return TxVoteBatch.sign(SharedDevnet.genesis().chainId(), epoch, rogueKey, entries);
    }

    static List<Map<String, String>> evidence(int node) {
        return given().baseUri(devnet.url("consensus", node)).get("/v1/consensus/evidence").then().statusCode(200).extract().jsonPath()
                .getList("$");
    }

    static void awaitEvidenceEverywhereHonest(String kind) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            for (int i : HONEST) assertThat(evidence(i)).as("node %d's evidence", i).anySatisfy(e -> provesAnOffence(e, kind));
        });
    }

    /** Names the rogue, and proves it with its key alone: both signed records decode, verify, and conflict. */
    static void provesAnOffence(Map<String, String> e, String kind) {
        assertThat(e.get("offender")).isEqualTo(rogueKey.publicKey().hex());
        assertThat(e.get("kind")).isEqualTo(kind);
        byte[] first = Hex.decode(e.get("first"));
        byte[] second = Hex.decode(e.get("second"));
        if (kind.equals("CONFLICTING_MESSAGES")) {
            List<ConsensusMessage> slot = new ArrayList<>();
            for (byte[] signed : List.of(first, second)) {
                SignedConsensusMessage m = SignedConsensusMessage.decode(signed);
                assertThat(m.signatureValid()).isTrue();
                assertThat(m.message().signer()).isEqualTo(rogueKey.publicKey());
                slot.add(m.message());
            }
            assertThat(slot).as("one (height, round, type)").extracting(ConsensusMessage::height, ConsensusMessage::round, ConsensusMessage::type)
                    .containsOnly(tuple(slot.get(0).height(), slot.get(0).round(), slot.get(0).type()));
            assertThat(slot.get(0)).isNotEqualTo(slot.get(1));
        } else {
            Hash txid = Hash.fromHex(e.get("txid"));
            List<TxVerdict> verdicts = new ArrayList<>();
            for (TxVoteBatch batch : List.of(TxVoteBatch.decode(first), TxVoteBatch.decode(second))) {
                assertThat(batch.signatureValid()).isTrue();
                assertThat(batch.voter()).isEqualTo(rogueKey.publicKey());
                batch.entries().stream().filter(v -> v.txid().equals(txid)).forEach(v -> verdicts.add(v.verdict()));
            }
            assertThat(verdicts).containsExactlyInAnyOrder(TxVerdict.APPROVE, TxVerdict.REJECT);
        }
    }

    @Test
    @Order(1)
    void aMasternodeApprovingBothHalvesOfADoubleSpendCannotMakeBothFinal() {
        KeyPair payer = SharedDevnet.genesis().fundedKeys().get(5);
        SharedDevnet.Coin coin = SharedDevnet.largestUnspent(payer);
        KeyPair one = Ed25519Keys.deterministic("e2e", "byzantine-one", 0);
        KeyPair two = Ed25519Keys.deterministic("e2e", "byzantine-two", 0);
        Transaction a = SharedDevnet.pay(payer, List.of(coin.outPoint()), coin.amount(), one.keyHash(), Amount.time(11));
        Transaction b = SharedDevnet.pay(payer, List.of(coin.outPoint()), coin.amount(), two.keyHash(), Amount.time(12));

        // the rogue's approvals are out before either half is: one vote short of a quorum for each, from the start
        send(new StackRecords.Votes(votes(List.of(new VoteEntry(a.txid(), TxVerdict.APPROVE), new VoteEntry(b.txid(), TxVerdict.APPROVE)))));
        CompletableFuture.allOf(CompletableFuture.runAsync(() -> SharedDevnet.submit(0, a)), CompletableFuture.runAsync(() -> SharedDevnet.submit(1, b)))
                .join();

        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                .until(() -> SharedDevnet.settledWithOneWinnerAtMost(HONEST, a, b));
        for (int i : HONEST) {
            assertThat(SharedDevnet.isFinal(i, a) && SharedDevnet.isFinal(i, b)).as("node %d finalized both halves", i).isFalse();
        }
    }

    @Test
    @Order(2)
    void aVoteChangedAfterItWasCastIsReportedAndCountedOnce() {
        // a transaction nobody else has seen: only the rogue votes on it, first for, then against
        Hash txid = madeUp("a transaction " + System.nanoTime());
        send(new StackRecords.Votes(votes(List.of(new VoteEntry(txid, TxVerdict.APPROVE)))));
        send(new StackRecords.Votes(votes(List.of(new VoteEntry(txid, TxVerdict.REJECT)))));
        awaitEvidenceEverywhereHonest("CONFLICTING_VOTES");
    }

    @Test
    @Order(3)
    void twoDifferentPreparesForOneRoundAreReportedAndBlocksGoOn() {
        long h0 = SharedDevnet.height(0);
        // for the height being decided and the next one (a message for a later height waits in the honest nodes' buffer),
        // in the honest nodes' current round: a height may be decided while these are on their way, so repeat until seen
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
            JsonPath status = given().baseUri(devnet.url("consensus", 0)).get("/v1/consensus/status").then().statusCode(200).extract().jsonPath();
            long height = status.getLong("height");
            int round = status.getInt("round");
            for (long h = height; h <= height + 1; h++) {
                for (String block : List.of("one", "two")) {
                    Hash fake = madeUp("block " + block + " at " + h + "/" + round);
                    var prepare = new ConsensusMessage.Prepare(SharedDevnet.genesis().chainId(), h, round, rogueKey.publicKey(), fake);
                    send(new StackRecords.ConsensusMsg(SignedConsensusMessage.sign(prepare, rogueKey)));
                }
            }
            for (int i : HONEST) assertThat(evidence(i)).as("node %d's evidence", i).anySatisfy(e -> provesAnOffence(e, "CONFLICTING_MESSAGES"));
        });
        await().atMost(Duration.ofSeconds(60)).until(() -> SharedDevnet.height(0) >= h0 + 3);
        SharedDevnet.agreeing(HONEST, 2, Duration.ofSeconds(60));
        for (int i : HONEST) {
            assertThat(evidence(i)).as("only node 3 is accused at node %d", i).allSatisfy(e -> assertThat(e.get("offender")).isEqualTo(rogueKey.publicKey().hex()));
        }
    }

    @Test
    @Order(4)
    void anHonestConsensusRestartedInTheRoguesStackRejoins() {
        prover.shutdownNow(); // the honest service proves service by itself
        devnet.restart(ROGUE, "consensus");
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).until(() -> SharedDevnet.height(ROGUE) >= SharedDevnet.height(0) - 1);
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < NODES; i++) all.add(i);
        SharedDevnet.agreeing(all, 2, Duration.ofSeconds(90));
    }

    /** A hash that names nothing real (a made-up block or transaction). */
    static Hash madeUp(String what) {
        return new Hash(Hashes.sha256(what.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
}
