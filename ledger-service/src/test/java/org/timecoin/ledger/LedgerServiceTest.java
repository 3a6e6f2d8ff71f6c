package org.timecoin.ledger;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import jakarta.inject.Inject;

import org.awaitility.Awaitility;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.timecoin.ledger.core.BlockRejectReason;
import org.timecoin.protocol.rules.RejectReason;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.HashTag;
import org.timecoin.protocol.crypto.Hashes;
import org.timecoin.protocol.genesis.DevnetGenesis;
import org.timecoin.protocol.model.Address;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.Block;
import org.timecoin.protocol.model.CommitCertificate;
import org.timecoin.protocol.model.ConsensusMessage;
import org.timecoin.protocol.model.FinalityCertificate;
import org.timecoin.protocol.model.MasternodeActivation;
import org.timecoin.protocol.model.Network;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.SignedConsensusMessage;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxOutput;
import org.timecoin.protocol.model.TxVerdict;
import org.timecoin.protocol.model.TxVoteBatch;
import org.timecoin.protocol.model.VoteEntry;
import org.timecoin.protocol.rules.RewardSplit;
import org.timecoin.protocol.rules.ServiceProof;
import org.timecoin.protocol.rules.ValidatorSet;
import org.timecoin.protocol.rules.TransactionRules;
import org.timecoin.protocol.stack.StackRecords;
import org.timecoin.infra.LocalInfraTestResource;
import org.timecoin.infra.TopicProbe;

import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The ledger against a real Kafka broker and a real PostgreSQL, with the devnet genesis of seed "ledger-test". The test
 * plays consensus (certificates signed by the genesis masternodes) and the submitters. One chain, so in order.
 */
@QuarkusTest
@WithTestResource(value = LocalInfraTestResource.class, initArgs = {@ResourceArg(name = "database", value = "test_ledger"),
        @ResourceArg(name = "fresh", value = "true")})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LedgerServiceTest {
    static final DevnetGenesis GENESIS = DevnetGenesis.create("ledger-test", 4);
    static final int CHAIN = Network.DEVNET.chainId();

    @ConfigProperty(name = "timecoin.topic.prefix")
    String prefix;
    @Inject
    ChainStore chain;
    @Inject
    ValidatorSetStore sets;
    @Inject
    LockStore locks;
    @Inject
    FinalityStore finality;
    @Inject
    ProposalStore proposals;
    @Inject
    LedgerReads reads;

    TopicProbe topics;

    @BeforeEach
    void setUp() {
        topics = new TopicProbe(org.timecoin.infra.LocalInfraTestResource.kafka(), prefix, List.of("tx.verdicts", "tx.applied", "blocks.applied", "proposals.responses", "dead-letters"));
    }

    @AfterEach
    void tearDown() {
        topics.close();
    }

    void publish(String topic, byte[] value) {
        topics.publish(topic, value);
    }

    <T> T await(String topic, Function<byte[], T> pick) {
        return topics.await(topic, pick);
    }

    StackRecords.Verdict verdictFor(Transaction tx) {
        return await("tx.verdicts", b -> StackRecords.decodeVerdicts(b).stream().filter(v -> v.txid().equals(tx.txid())).findFirst().orElse(null));
    }

    /** Waits for the ledger to announce on tx.applied that the transaction's finality is committed here. */
    void awaitAppliedAnnounced(Transaction tx) {
        await("tx.applied", b -> StackRecords.decodeTxApplied(b).txids().contains(tx.txid()) ? Boolean.TRUE : null);
    }

    long appliedAnnouncements(Transaction tx) {
        return topics.seen().stream().filter(r -> r.topic().endsWith("tx.applied"))
                .filter(r -> StackRecords.decodeTxApplied(r.value()).txids().contains(tx.txid())).count();
    }

    static OutPoint fundedOutput(int key) {
        return new OutPoint(GENESIS.block().transactions().get(0).txid(), key);
    }

    static Transaction pay(int fromKey, KeyPair to, long sat) {
        KeyPair from = GENESIS.fundedKeys().get(fromKey);
        long change = DevnetGenesis.FUNDED_AMOUNT.sat() - sat;
        long fee = TransactionRules.minimumFee(TransactionRules.transferSize(1, 2)).sat();
        return Transaction.transfer(List.of(fundedOutput(fromKey)),
                List.of(new TxOutput(Amount.sat(sat), to.keyHash()), new TxOutput(Amount.sat(change - fee), from.keyHash()))).signed(CHAIN, List.of(from));
    }

    /** {@code owner}'s payment of the first output of {@code parent} to PAYEE. */
    static Transaction spendFirstOutput(Transaction parent, KeyPair owner, Amount amount) {
        return Transaction.transfer(List.of(new OutPoint(parent.txid(), 0)), List.of(new TxOutput(amount, PAYEE.keyHash()))).signed(CHAIN, List.of(owner));
    }

    static void awaitFinal(Transaction tx) {
        Awaitility.await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> given().get("/v1/ledger/transactions/" + tx.txid().hex()).then()
                .body("status", equalTo("FINAL")));
    }

    static FinalityCertificate certify(Transaction tx) {
        List<FinalityCertificate.VoteProof> proofs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            proofs.add(TxVoteBatch.sign(CHAIN, 1, GENESIS.masternodes().get(i).nodeKey(), List.of(new VoteEntry(tx.txid(), TxVerdict.APPROVE))).proofFor(0));
        }
        return new FinalityCertificate(CHAIN, tx.txid(), 1, proofs);
    }

    static CommitCertificate commit(Block b) {
        List<CommitCertificate.Seal> seals = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            KeyPair k = GENESIS.masternodes().get(i).nodeKey();
            seals.add(new CommitCertificate.Seal(k.publicKey(), SignedConsensusMessage.sign(new ConsensusMessage.Commit(CHAIN, b.height(),
                    b.header().round(), k.publicKey(), b.hash()), k).signature()));
        }
        return new CommitCertificate(CHAIN, b.height(), b.header().round(), b.hash(), seals);
    }

    static final KeyPair PAYEE = org.timecoin.protocol.crypto.Ed25519Keys.deterministic("ledger-test", "payee", 0);
    static Transaction payment;

    @Test
    @Order(1)
    void startsFromTheDevnetGenesisAndAnnouncesIt() {
        given().get("/v1/ledger/chain").then().statusCode(200).body("height", is(0)).body("tipHash", equalTo(GENESIS.hash().hex()))
                .body("confirmedSupplySat", equalTo(GENESIS.initialSupply().sat()));
        StackRecords.BlockApplied a = await("blocks.applied", StackRecords::decodeBlockApplied);
        assertThat(a.height()).isZero();
        assertThat(a.nextSet().voters()).hasSize(4);
        assertThat(a.nextSet().epoch()).isEqualTo(1);
    }

    @Test
    @Order(2)
    void validTransactionIsApprovedAndLocksItsInputsConflictsAndForgeriesAreRejected() {
        payment = pay(0, PAYEE, Amount.time(1_500).sat());
        publish("tx.submitted", payment.toBytes());
        assertThat(verdictFor(payment).verdict()).isEqualTo(TxVerdict.APPROVE);
        given().get("/v1/ledger/utxos/" + fundedOutput(0).txid().hex() + "/0").then().statusCode(200).body("state", equalTo("LOCKED"));

        Transaction doubleSpend = pay(0, PAYEE, Amount.time(7).sat());
        publish("tx.submitted", doubleSpend.toBytes());
        StackRecords.Verdict v = verdictFor(doubleSpend);
        assertThat(v.verdict()).isEqualTo(TxVerdict.REJECT);
        assertThat(v.reason()).isEqualTo("INPUT_LOCKED");

        // signed by the wrong key: rejected before any lock is taken
        Transaction forged = Transaction.transfer(List.of(fundedOutput(1)), List.of(new TxOutput(Amount.time(1), PAYEE.keyHash())))
                .signed(CHAIN, List.of(PAYEE));
        publish("tx.submitted", forged.toBytes());
        assertThat(verdictFor(forged).reason()).isEqualTo("KEY_MISMATCH");
        given().get("/v1/ledger/utxos/" + fundedOutput(1).txid().hex() + "/1").then().statusCode(200).body("state", equalTo("UNSPENT"));
        given().get("/v1/ledger/transactions/" + forged.txid().hex()).then().statusCode(404).contentType("application/problem+json");

        // an input that does not exist
        KeyPair funded4 = GENESIS.fundedKeys().get(4);
        Transaction unknown = Transaction.transfer(List.of(new OutPoint(org.timecoin.protocol.crypto.Hashes.tagged(
                org.timecoin.protocol.crypto.HashTag.TX, new byte[] {9, 9}), 0)), List.of(new TxOutput(Amount.time(1), PAYEE.keyHash())))
                .signed(CHAIN, List.of(funded4));
        publish("tx.submitted", unknown.toBytes());
        assertThat(verdictFor(unknown).reason()).isEqualTo("UNKNOWN_INPUT");

        byte[] garbage = {1, 2, 3, (byte) UUID.randomUUID().hashCode()};
        publish("tx.submitted", garbage); // garbage: counted and parked on the dead-letter topic with its reason
        Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(given().get("/q/metrics").asString())
                .contains("timecoin_ledger_records_rejected_total{reason=\"TRUNCATED\",topic=\"tx.submitted\",}"));
        await("dead-letters", b -> java.util.Arrays.equals(b, garbage) ? b : null);
        var parked = topics.seen().stream().filter(r -> r.topic().equals(prefix + "dead-letters")).findFirst().orElseThrow();
        assertThat(new String(parked.headers().lastHeader("timecoin-reason").value())).isEqualTo("TRUNCATED");
        assertThat(new String(parked.headers().lastHeader("timecoin-source-topic").value())).isEqualTo("tx.submitted");
    }

    @Test
    @Order(3)
    void twoReplicasRacingOnConflictingTransactionsApproveAtMostOne() throws Exception {
        Transaction a = pay(2, PAYEE, Amount.time(10).sat());
        Transaction b = pay(2, PAYEE, Amount.time(11).sat());
        var pool = Executors.newFixedThreadPool(2);
        try {
            var fa = pool.submit((Callable<LockStore.Verdict>) () -> locks.validateAndLock(a));
            var fb = pool.submit((Callable<LockStore.Verdict>) () -> locks.validateAndLock(b));
            List<LockStore.Verdict> verdicts = List.of(fa.get(30, TimeUnit.SECONDS), fb.get(30, TimeUnit.SECONDS));
            assertThat(verdicts.stream().filter(LockStore.Verdict::approved)).hasSize(1);
            assertThat(verdicts.stream().filter(v -> !v.approved()).map(LockStore.Verdict::reason)).containsExactly(
                    org.timecoin.protocol.rules.RejectReason.INPUT_LOCKED);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * The same transaction validated twice at once (submitted at this node and relayed by a peer) is approved twice, and
     * a transaction released earlier and seen again is validated afresh — neither is an error that could stop the topic.
     */
    @Test
    @Order(3)
    void theSameTransactionTwiceAtOnceOrAgainAfterItsReleaseIsApproved() throws Exception {
        Transaction t = pay(7, PAYEE, Amount.time(5).sat());
        var pool = Executors.newFixedThreadPool(2);
        try {
            var first = pool.submit((Callable<LockStore.Verdict>) () -> locks.validateAndLock(t));
            var second = pool.submit((Callable<LockStore.Verdict>) () -> locks.validateAndLock(t));
            assertThat(List.of(first.get(30, TimeUnit.SECONDS), second.get(30, TimeUnit.SECONDS))).allMatch(LockStore.Verdict::approved);
        } finally {
            pool.shutdownNow();
        }
        // (the store directly, not the REST read: the service's cache is invalidated by the service's own paths)
        assertThat(reads.utxo(fundedOutput(7)).orElseThrow().state()).isEqualTo(UtxoState.LOCKED);
        assertThat(locks.release(t.txid(), "LOCK_EXPIRED")).isTrue();
        assertThat(reads.utxo(fundedOutput(7)).orElseThrow().state()).isEqualTo(UtxoState.UNSPENT);
        assertThat(locks.validateAndLock(t).approved()).isTrue();
        assertThat(reads.utxo(fundedOutput(7)).orElseThrow().state()).isEqualTo(UtxoState.LOCKED);
        given().get("/v1/ledger/transactions/" + t.txid().hex()).then().statusCode(200).body("status", equalTo("PENDING"));
    }

    /**
     * A poll of transactions is validated in one database transaction with the verdicts they would get one after the
     * other: a later spend of an input locked earlier in the poll loses, a repeated transaction and one approved before
     * are approved again, an unknown input is reported — and only the approved ones lock anything or leave a row.
     */
    @Test
    @Order(3)
    void aPollOfTransactionsGetsTheVerdictsTheyWouldGetOneAfterTheOther() {
        Transaction first = pay(8, PAYEE, Amount.time(20).sat());
        Transaction conflicting = pay(8, PAYEE, Amount.time(21).sat());
        Transaction other = pay(9, PAYEE, Amount.time(22).sat());
        KeyPair from = GENESIS.fundedKeys().get(9);
        Transaction unknownInput = Transaction.transfer(List.of(new OutPoint(new Hash(new byte[32]), 0)),
                List.of(new TxOutput(Amount.time(1), PAYEE.keyHash()))).signed(CHAIN, List.of(from));

        List<LockStore.Verdict> verdicts = locks.validateAndLockAll(List.of(first, conflicting, first, payment, unknownInput, other));

        assertThat(verdicts).extracting(LockStore.Verdict::approved).containsExactly(true, false, true, true, false, true);
        assertThat(verdicts.get(1).reason()).isEqualTo(org.timecoin.protocol.rules.RejectReason.INPUT_LOCKED);
        assertThat(verdicts.get(4).reason()).isEqualTo(org.timecoin.protocol.rules.RejectReason.UNKNOWN_INPUT);
        assertThat(verdicts.get(2).fee()).isEqualTo(verdicts.get(0).fee());
        assertThat(reads.utxo(fundedOutput(8)).orElseThrow().state()).isEqualTo(UtxoState.LOCKED);
        assertThat(reads.utxo(fundedOutput(9)).orElseThrow().state()).isEqualTo(UtxoState.LOCKED);
        given().get("/v1/ledger/transactions/" + first.txid().hex()).then().statusCode(200).body("status", equalTo("PENDING"));
        given().get("/v1/ledger/transactions/" + conflicting.txid().hex()).then().statusCode(404);
        given().get("/v1/ledger/transactions/" + unknownInput.txid().hex()).then().statusCode(404);
        // each lock belongs to the transaction that won it: releasing the loser frees nothing
        assertThat(locks.release(conflicting.txid(), "TEST")).isFalse();
        assertThat(reads.utxo(fundedOutput(8)).orElseThrow().state()).isEqualTo(UtxoState.LOCKED);
        assertThat(locks.release(first.txid(), "TEST")).isTrue();
        assertThat(locks.release(other.txid(), "TEST")).isTrue();
        assertThat(reads.utxo(fundedOutput(8)).orElseThrow().state()).isEqualTo(UtxoState.UNSPENT);
        assertThat(reads.utxo(fundedOutput(9)).orElseThrow().state()).isEqualTo(UtxoState.UNSPENT);
    }

    @Test
    @Order(4)
    void aFinalityCertificateSpendsTheInputsAndMakesTheOutputsSpendable() throws Exception {
        publish("tx.finalized", StackRecords.encode(new StackRecords.Finalized(certify(payment))));
        awaitAppliedAnnounced(payment); // the gateway's finality waits learn it from this record, without asking
        String payee = Address.of(Network.DEVNET, PAYEE.keyHash()).toString();
        Awaitility.await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> given().get("/v1/ledger/addresses/" + payee + "/balance").then()
                .statusCode(200).body("pendingSat", equalTo(Amount.time(1_500).sat())).body("confirmedSat", equalTo(0)));
        given().get("/v1/ledger/utxos/" + fundedOutput(0).txid().hex() + "/0").then().body("state", equalTo("SPENT_FINAL"));
        given().get("/v1/ledger/transactions/" + payment.txid().hex()).then().statusCode(200).body("status", equalTo("FINAL"));

        // the spent input cannot be spent again
        Transaction again = pay(0, PAYEE, Amount.time(3).sat());
        publish("tx.submitted", again.toBytes());
        assertThat(verdictFor(again).reason()).isEqualTo("INPUT_SPENT");
    }

    @Test
    @Order(5)
    void buildsAndChecksAProposalThenAppliesTheFinalizedBlockOnce() {
        var proposer = GENESIS.masternodes().get(1).nodeKey();
        publish("proposals.requests", StackRecords.encode(new StackRecords.BuildRequest(1, 0, GENESIS.hash(), DevnetGenesis.TIMESTAMP_MILLIS,
                proposer.publicKey())));
        StackRecords.Built built = await("proposals.responses", r -> StackRecords.decodeProposalResponse(r) instanceof StackRecords.Built b ? b : null);
        Block block = built.block();
        assertThat(block.transactions()).extracting(Transaction::txid).contains(payment.txid());
        assertThat(built.certificates()).hasSize(block.transactions().size() - 1);
        long fee = reads.transaction(payment.txid()).orElseThrow().fee();
        assertThat(block.transactions().get(0).outputs()).isEqualTo(RewardSplit.split(RewardSplit.blockReward(Amount.sat(fee)),
                GENESIS.validatorSet(), proposer.publicKey()));

        publish("proposals.requests", StackRecords.encode(new StackRecords.CheckRequest(1, 0, block, built.certificates())));
        StackRecords.Checked checked = await("proposals.responses", r -> StackRecords.decodeProposalResponse(r) instanceof StackRecords.Checked c ? c : null);
        assertThat(checked.valid()).isTrue();
        // the check verifies only certificates other than the one this ledger verified and keeps: two approvals of four
        // in place of the kept certificate are not a quorum, and the block is refused
        List<FinalityCertificate> forged = new ArrayList<>(built.certificates());
        forged.set(block.transactions().stream().map(Transaction::txid).toList().indexOf(payment.txid()) - 1,
                certifyUnder(payment, 1, List.of(GENESIS.masternodes().get(0).nodeKey(), GENESIS.masternodes().get(1).nodeKey())));
        assertThat(proposals.refusal(CHAIN, block, forged).map(r -> r.reason())).contains(BlockRejectReason.BAD_FINALITY_CERTIFICATE);
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString(); // how long each took, for the operator
        assertThat(metrics).containsPattern("timecoin_ledger_proposal_seconds_count\\{work=\"build\",\\} [1-9]")
                .containsPattern("timecoin_ledger_proposal_seconds_count\\{work=\"check\",\\} [1-9]");

        // read (and cache) the new output and the spent input before the block
        String newOutput = "/v1/ledger/utxos/" + payment.txid().hex() + "/0";
        given().get(newOutput).then().body("state", equalTo("UNSPENT")).body("confirmedHeight", org.hamcrest.Matchers.nullValue());
        given().get("/v1/ledger/utxos/" + fundedOutput(0).txid().hex() + "/0").then().body("state", equalTo("SPENT_FINAL"));

        byte[] finalized = StackRecords.encode(new StackRecords.FinalizedBlock(block, commit(block)));
        publish("blocks.finalized", finalized);
        StackRecords.BlockApplied applied = await("blocks.applied", r -> {
            StackRecords.BlockApplied a = StackRecords.decodeBlockApplied(r);
            return a.height() == 1 ? a : null;
        });
        assertThat(applied.hash()).isEqualTo(block.hash());
        publish("blocks.finalized", finalized); // at-least-once delivery: the second copy is a no-op
        String payee = Address.of(Network.DEVNET, PAYEE.keyHash()).toString();
        Awaitility.await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> given().get("/v1/ledger/addresses/" + payee + "/balance").then()
                .body("confirmedSat", equalTo(Amount.time(1_500).sat())).body("pendingSat", equalTo(0)));
        given().get("/v1/ledger/chain").then().body("height", is(1)).body("tipHash", equalTo(block.hash().hex()))
                // supply = genesis + one block subsidy (fees move between holders, they are not created)
                .body("confirmedSupplySat", equalTo(GENESIS.initialSupply().plus(RewardSplit.BLOCK_SUBSIDY).sat()));
        given().get("/v1/ledger/transactions/" + payment.txid().hex()).then().body("status", equalTo("CONFIRMED")).body("blockHeight", is(1));
        given().get("/v1/ledger/blocks/1").then().statusCode(200).body("hash", equalTo(block.hash().hex()));
        given().get("/v1/ledger/blocks/hash/" + block.hash().hex()).then().statusCode(200).body("height", is(1));
        given().get("/v1/ledger/blocks?limit=5").then().statusCode(200).body("height", org.hamcrest.Matchers.contains(1, 0))
                .body("[0].transactions", is(block.transactions().size()));
        given().get("/v1/ledger/blocks?before=1").then().body("height", org.hamcrest.Matchers.contains(0));
        given().get("/v1/ledger/masternodes").then().statusCode(200).body("size()", is(GENESIS.masternodes().size()))
                .body("tier", org.hamcrest.Matchers.everyItem(equalTo(GENESIS.masternodes().get(0).tier().name())));
        given().get("/v1/ledger/mempool").then().statusCode(200).body("finalNotInBlock", is(0)); // the final transaction is in block 1
        // what p2p serves to syncing peers: the block with its certificate, canonical bytes; nothing past the tip
        var certified = (org.timecoin.protocol.wire.WireMessage.Blocks) org.timecoin.protocol.wire.WireMessage.decodeBody(11,
                given().get("/v1/ledger/blocks/certified?from=1&limit=10").then().statusCode(200).extract().asByteArray());
        assertThat(certified.blocks()).hasSize(1);
        assertThat(certified.blocks().get(0).block().hash()).isEqualTo(block.hash());
        assertThat(certified.blocks().get(0).certificate().blockHash()).isEqualTo(block.hash());
        assertThat(given().get("/v1/ledger/blocks/certified?from=2").then().statusCode(200).extract().asByteArray()).containsExactly(0, 0, 0, 0);
        // the cache does not serve what the applied block changed
        Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> given().get(newOutput).then().body("confirmedHeight", is(1)));
        given().get("/v1/ledger/utxos/" + fundedOutput(0).txid().hex() + "/0").then().body("state", equalTo("SPENT_CONFIRMED"));
        assertThat(given().get("/q/metrics").asString()).containsPattern("cache_gets_total\\{cache=\"utxo\",result=\"hit\",\\} [1-9]");
    }

    /** A block after {@code previous} with only its reward. */
    static Block rewardOnly(Block previous) {
        long height = previous.height() + 1;
        var proposer = GENESIS.masternodes().get(0).nodeKey();
        List<Transaction> txs = List.of(Transaction.reward(height, RewardSplit.split(RewardSplit.blockReward(Amount.ZERO), GENESIS.validatorSet(),
                proposer.publicKey())));
        return new Block(new org.timecoin.protocol.model.BlockHeader(CHAIN, height, previous.hash(), Block.merkleRoot(txs),
                previous.header().timestampMillis() + 1, 0, proposer.publicKey()), txs);
    }

    @Test
    @Order(6)
    void aBlockWithoutAValidCommitCertificateIsNotApplied() {
        Block next = rewardOnly(reads.block(1).orElseThrow().block());
        CommitCertificate good = commit(next);
        CommitCertificate tooFew = new CommitCertificate(CHAIN, 2, 0, next.hash(), good.seals().subList(0, 2));
        publish("blocks.finalized", StackRecords.encode(new StackRecords.FinalizedBlock(next, tooFew)));
        Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(given().get("/q/metrics").asString())
                .contains("timecoin_ledger_records_rejected_total{reason=\"BAD_COMMIT_CERTIFICATE\",topic=\"blocks.finalized\",}"));
        given().get("/v1/ledger/chain").then().body("height", is(1));
    }

    @Test
    @Order(8)
    void pagesThroughTheUtxosAndTheHistoryOfAnAddressWithOneHundredThousandOutputs() throws Exception {
        KeyPair whale = org.timecoin.protocol.crypto.Ed25519Keys.deterministic("ledger-test", "whale", 0);
        try (var c = dataSource.getConnection(); var ps = c.prepareStatement("INSERT INTO utxo (txid, idx, amount, key_hash, state, created_height) "
                + "SELECT sha256(int4send(g)), 0, 1000, ?, 0, 1 FROM generate_series(1, 100000) g")) {
            ps.setBytes(1, whale.keyHash().toByteArray());
            assertThat(ps.executeUpdate()).isEqualTo(100_000);
        }
        String address = Address.of(Network.DEVNET, whale.keyHash()).toString();
        java.util.Set<String> seenIds = new java.util.HashSet<>();
        String previous = "";
        String after = null;
        int pages = 0;
        do {
            var page = given().queryParam("limit", 1000).queryParam("after", after == null ? "" : after)
                    .get("/v1/ledger/addresses/" + address + "/utxos").then().statusCode(200).extract().jsonPath();
            List<String> ids = page.getList("utxos.txid");
            assertThat(ids.size()).isLessThanOrEqualTo(1000);
            for (String id : ids) {
                assertThat(id).isGreaterThan(previous); // keyset order, no repeats across pages
                previous = id;
                seenIds.add(id);
            }
            after = page.getString("next");
            pages++;
        } while (after != null);
        assertThat(seenIds).hasSize(100_000);
        assertThat(pages).isEqualTo(101); // 100 full pages, then an empty one ends the walk
        var balance = given().get("/v1/ledger/addresses/" + address + "/balance").then().statusCode(200).extract().jsonPath();
        assertThat(balance.getLong("confirmedSat")).isEqualTo(100_000L * 1000);
        assertThat(balance.getLong("utxoCount")).isEqualTo(100_000);
        // its history, newest first: all at height 1, so by txid down. Pages from the start, from the middle and at the
        // end (a page costs its own rows from the V5 indexes, wherever it starts)
        List<String> newestFirst = seenIds.stream().sorted(java.util.Comparator.reverseOrder()).toList();
        String history = "/v1/ledger/addresses/" + address + "/transactions";
        var first = given().queryParam("limit", 200).get(history).then().statusCode(200).extract().jsonPath();
        assertThat(first.<String>getList("transactions.txid")).isEqualTo(newestFirst.subList(0, 200));
        var second = given().queryParam("limit", 200).queryParam("after", first.getString("next")).get(history).then().extract().jsonPath();
        assertThat(second.<String>getList("transactions.txid")).isEqualTo(newestFirst.subList(200, 400));
        var middle = given().queryParam("limit", 200).queryParam("after", "1:" + newestFirst.get(49_999)).get(history).then().extract().jsonPath();
        assertThat(middle.<String>getList("transactions.txid")).isEqualTo(newestFirst.subList(50_000, 50_200));
        var last = given().queryParam("limit", 200).queryParam("after", "1:" + newestFirst.get(99_899)).get(history).then().extract().jsonPath();
        assertThat(last.<String>getList("transactions.txid")).isEqualTo(newestFirst.subList(99_900, 100_000));
        assertThat(last.getString("next")).isNull(); // 100 of a 200 page: nothing after
        // no block made them: gone again, so that the UTXO table keeps adding up to the supply (the audit, order 27)
        try (var c = dataSource.getConnection(); var ps = c.prepareStatement("DELETE FROM utxo WHERE key_hash = ?")) {
            ps.setBytes(1, whale.keyHash().toByteArray());
            assertThat(ps.executeUpdate()).isEqualTo(100_000);
        }
    }

    @Inject
    javax.sql.DataSource dataSource;
    @ConfigProperty(name = "quarkus.datasource.jdbc.url")
    String jdbcUrl;

    /** The ledger's stores over one database, by role, as the tests of a database of their own use them. */
    record Stores(ChainStore chain, ValidatorSetStore sets, LockStore locks, FinalityStore finality, ProposalStore proposals, LedgerReads reads) {
        Stores(javax.sql.DataSource ds) {
            this(new ChainStore(ds), new ValidatorSetStore(ds), new LockStore(ds), new FinalityStore(ds), new ProposalStore(ds), new LedgerReads(ds));
        }
    }

    /** Stores over a database of their own (same server, migrated, devnet genesis applied): nothing else writes to it. */
    Stores storeOfItsOwn(String database) throws Exception {
        return storeOver(newDatabase(database));
    }

    /** Stores over {@code ds}, migrated, devnet genesis applied. */
    static Stores storeOver(javax.sql.DataSource ds) {
        org.flywaydb.core.Flyway.configure().dataSource(ds).locations("classpath:db/migration").load().migrate();
        Stores own = new Stores(ds);
        own.chain().applyBlock(CHAIN, GENESIS.block(), null);
        return own;
    }

    /** An empty database on the same server, made anew. */
    javax.sql.DataSource newDatabase(String database) throws Exception {
        // made by the server's admin (a service's role may create no database), owned by a role of its own
        org.timecoin.infra.LocalPostgres pg = org.timecoin.infra.LocalInfraTestResource.postgres();
        pg.dropDatabase(database);
        pg.ensureDatabase(database);
        org.postgresql.ds.PGSimpleDataSource ds = new org.postgresql.ds.PGSimpleDataSource();
        ds.setURL(jdbcUrl.substring(0, jdbcUrl.lastIndexOf('/') + 1) + database);
        ds.setUser(pg.login(database).user());
        ds.setPassword(pg.login(database).password());
        return ds;
    }

    /**
     * DESIGN.md §1: the mempool holds at most N pending transactions. Past the bound a valid transaction gets
     * MEMPOOL_FULL and locks nothing; an invalid one keeps its own reason; one already pending is approved again; room
     * comes back when a pending one leaves.
     */
    @Test
    @Order(9)
    void pastTheMempoolBoundAValidTransactionIsRefusedWithMempoolFullAndLocksNothing() throws Exception {
        Stores own = storeOfItsOwn("mempool_bound");
        Transaction a = pay(0, PAYEE, Amount.time(1).sat());
        Transaction b = pay(1, PAYEE, Amount.time(2).sat());
        Transaction c = pay(2, PAYEE, Amount.time(3).sat());
        Transaction unknownInput = Transaction.transfer(List.of(new OutPoint(Hashes.tagged(HashTag.TX, new byte[] {9}), 0)),
                List.of(new TxOutput(Amount.time(1), PAYEE.keyHash()))).signed(CHAIN, List.of(GENESIS.fundedKeys().get(3)));
        List<LockStore.Verdict> verdicts = own.locks().validateAndLockAll(List.of(a, b, unknownInput, c, a), 2);
        assertThat(verdicts).extracting(v -> v.approved() ? "APPROVE" : v.reason().name())
                .containsExactly("APPROVE", "APPROVE", "UNKNOWN_INPUT", "MEMPOOL_FULL", "APPROVE");
        assertThat(own.reads().utxo(fundedOutput(2)).orElseThrow().state()).as("nothing locked for the refused one").isEqualTo(UtxoState.UNSPENT);
        assertThat(own.reads().transaction(c.txid())).as("no row for the refused one").isEmpty();
        assertThat(own.reads().mempool().pending()).isEqualTo(2);
        assertThat(own.locks().validateAndLockAll(List.of(b), 2).get(0).approved()).as("already pending: approved again").isTrue();
        assertThat(own.locks().validateAndLockAll(List.of(c), 2).get(0).reason()).isEqualTo(org.timecoin.protocol.rules.RejectReason.MEMPOOL_FULL);
        assertThat(own.locks().release(a.txid(), "TEST")).isTrue();
        assertThat(own.locks().validateAndLockAll(List.of(c), 2).get(0).approved()).as("room again").isTrue();
        assertThat(own.reads().mempool().pending()).isEqualTo(2);
        // the service's bound, as the gateway reads it
        given().get("/v1/ledger/mempool").then().statusCode(200).body("maxPending", is(10_000));
    }

    /**
     * The counts behind the mempool bound, {@code /v1/ledger/mempool} and the gauges read their partial indexes, never
     * the whole transaction history (a gateway asks every 500 ms under submissions); the gauges report them.
     */
    @Test
    @Order(10)
    void theMempoolCountsReadTheirIndexesAndTheGaugesReportThem() throws Exception {
        try (var c = dataSource.getConnection(); var s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute("SET LOCAL enable_seqscan = off"); // a sequential scan is then chosen only where no index serves
            for (String sql : List.of(LockStore.PENDING_COUNT_SQL, LockStore.MEMPOOL_SQL)) {
                StringBuilder plan = new StringBuilder();
                try (var rs = s.executeQuery("EXPLAIN " + sql)) {
                    while (rs.next()) plan.append(rs.getString(1)).append('\n');
                }
                assertThat(plan.toString()).as(sql).doesNotContain("Seq Scan");
            }
            c.rollback();
        }
        Transaction pending = spendFirstOutput(payment, PAYEE, Amount.time(1_490)); // block 1 confirmed its output
        publish("tx.submitted", pending.toBytes());
        assertThat(verdictFor(pending).verdict()).isEqualTo(TxVerdict.APPROVE);
        Awaitility.await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            var counts = given().get("/v1/ledger/mempool").then().statusCode(200).extract().jsonPath();
            assertThat(counts.getLong("pending")).isPositive();
            String metrics = given().get("/q/metrics").asString();
            assertThat(metrics).containsPattern("(?m)^timecoin_ledger_mempool_transactions " + counts.getLong("pending") + "(\\.0)?$")
                    .containsPattern("(?m)^timecoin_ledger_final_not_in_block_transactions " + counts.getLong("finalNotInBlock") + "(\\.0)?$");
        });
    }

    @Test
    @Order(7)
    void badRequestsGetProblemDetails() {
        given().get("/v1/ledger/addresses/TIME0notAnAddress/balance").then().statusCode(400).contentType("application/problem+json")
                .body("title", equalTo("INVALID_ADDRESS"));
        given().get("/v1/ledger/utxos/zz/0").then().statusCode(400).body("title", equalTo("INVALID_HEX"));
        given().get("/v1/ledger/blocks/999").then().statusCode(404).body("title", equalTo("UNKNOWN_BLOCK"));
        given().get("/v1/ledger/transactions/" + Hashes.tagged(HashTag.TX, "nobody".getBytes()).hex()).then().statusCode(404)
                .contentType("application/problem+json").body("title", equalTo("UNKNOWN_TRANSACTION"));
        given().get("/v1/ledger/blocks/hash/" + "00".repeat(32)).then().statusCode(404).body("title", equalTo("UNKNOWN_BLOCK"));
        given().get("/v1/ledger/blocks?limit=500").then().statusCode(400).body("title", equalTo("INVALID_VALUE"));
        given().get("/v1/ledger/blocks/certified?from=1&limit=5000").then().statusCode(400).body("title", equalTo("INVALID_RANGE"));
        String funded = Address.of(Network.DEVNET, GENESIS.fundedKeys().get(3).keyHash()).toString();
        given().get("/v1/ledger/addresses/" + funded + "/utxos?limit=0").then().statusCode(400);
        given().get("/v1/ledger/addresses/" + funded + "/utxos?limit=1").then().statusCode(200).body("utxos.size()", is(1));
        String history = "/v1/ledger/addresses/" + funded + "/transactions";
        for (String after : List.of("1", "x:" + payment.txid().hex(), "1:" + payment.txid().hex().toUpperCase(), "1:" + payment.txid().hex() + ":2", "-1:00")) {
            given().queryParam("after", after).get(history).then().statusCode(400).contentType("application/problem+json").body("title", equalTo("INVALID_VALUE"));
        }
        given().get(history + "?limit=0").then().statusCode(400).body("title", equalTo("INVALID_VALUE"));
        given().get(history + "?limit=201").then().statusCode(400).body("title", equalTo("INVALID_VALUE"));
        given().get("/v1/ledger/addresses/TIME0notAnAddress/transactions").then().statusCode(400).body("title", equalTo("INVALID_ADDRESS"));
    }

    /** The history endpoint over the chain of these tests: the payment of order 2, confirmed by block 1, on both sides. */
    @Test
    @Order(7)
    void anAddressHistoryIsServedInPagesWithTheirNextPosition() {
        String payee = "/v1/ledger/addresses/" + Address.of(Network.DEVNET, PAYEE.keyHash()) + "/transactions";
        var all = given().get(payee).then().statusCode(200).extract().jsonPath();
        int i = all.getList("transactions.txid").indexOf(payment.txid().hex());
        assertThat(i).isNotNegative();
        assertThat(all.getString("transactions[" + i + "].status")).isEqualTo("CONFIRMED");
        assertThat(all.getLong("transactions[" + i + "].blockHeight")).isEqualTo(1);
        assertThat(all.getLong("transactions[" + i + "].receivedSat")).isEqualTo(Amount.time(1_500).sat());
        assertThat(all.getLong("transactions[" + i + "].sentSat")).isZero();
        String sender = "/v1/ledger/addresses/" + Address.of(Network.DEVNET, GENESIS.fundedKeys().get(0).keyHash()) + "/transactions";
        var first = given().get(sender + "?limit=1").then().statusCode(200).extract().jsonPath();
        assertThat(first.getString("transactions[0].txid")).isEqualTo(payment.txid().hex());
        assertThat(first.getLong("transactions[0].sentSat")).isEqualTo(DevnetGenesis.FUNDED_AMOUNT.sat());
        assertThat(first.getString("next")).isEqualTo("1:" + payment.txid().hex());
        var second = given().queryParam("after", first.getString("next")).get(sender + "?limit=1").then().statusCode(200).extract().jsonPath();
        assertThat(second.getString("transactions[0].txid")).isEqualTo(GENESIS.block().transactions().get(0).txid().hex());
        assertThat(second.getLong("transactions[0].blockHeight")).isZero();
        given().queryParam("after", second.getString("next")).get(sender + "?limit=1").then().statusCode(200)
                .body("transactions.size()", is(0)).body("next", org.hamcrest.Matchers.nullValue());
    }

    /**
     * A transaction spending an output of a transaction that is not final here yet waits (no verdict) instead of being
     * rejected, and is approved once the parent's certificate is applied; one whose parent never comes is rejected
     * after the wait.
     */
    @Test
    @Order(20)
    void aChildOfANotYetFinalParentWaitsForItInsteadOfBeingRejected() {
        KeyPair payee = org.timecoin.protocol.crypto.Ed25519Keys.deterministic("ledger-test", "payee", 6);
        Transaction parent = pay(6, payee, Amount.time(50).sat());
        publish("tx.submitted", parent.toBytes());
        assertThat(verdictFor(parent).verdict()).isEqualTo(TxVerdict.APPROVE);

        Amount childOut = Amount.time(49);
        Transaction child = Transaction.transfer(List.of(new OutPoint(parent.txid(), 0)), List.of(new TxOutput(childOut, PAYEE.keyHash())))
                .signed(CHAIN, List.of(payee));
        publish("tx.submitted", child.toBytes());
        Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> orphansWaiting() == 1);

        publish("tx.finalized", StackRecords.encode(new StackRecords.Finalized(certify(parent))));
        StackRecords.Verdict v = verdictFor(child);
        assertThat(v.verdict()).as(v.reason()).isEqualTo(TxVerdict.APPROVE);
        assertThat(orphansWaiting()).isZero();

        Transaction orphan = Transaction.transfer(List.of(new OutPoint(org.timecoin.protocol.crypto.Hashes.tagged(
                org.timecoin.protocol.crypto.HashTag.TX, "never".getBytes()), 0)), List.of(new TxOutput(Amount.time(1), PAYEE.keyHash())))
                .signed(CHAIN, List.of(payee));
        publish("tx.submitted", orphan.toBytes());
        assertThat(verdictFor(orphan).reason()).isEqualTo("UNKNOWN_INPUT");
    }

    /** The submitter's trace context (W3C traceparent on the record) continues on the verdict the ledger publishes. */
    @Test
    @Order(21)
    void theTraceContextOfASubmissionContinuesOnItsVerdict() {
        String traceId = "0af7651916cd43dd8448eb211c80319c";
        Transaction forged = Transaction.transfer(List.of(fundedOutput(5)), List.of(new TxOutput(Amount.time(2), PAYEE.keyHash())))
                .signed(CHAIN, List.of(PAYEE));
        topics.publish("tx.submitted", forged.toBytes(), java.util.Map.of("traceparent", "00-" + traceId + "-b7ad6b7169203331-01"));
        assertThat(verdictFor(forged).reason()).isEqualTo("KEY_MISMATCH");
        var record = topics.seen().stream().filter(r -> r.topic().endsWith("tx.verdicts")
                && StackRecords.decodeVerdicts(r.value()).stream().anyMatch(v -> v.txid().equals(forged.txid())))
                .findFirst().orElseThrow();
        assertThat(TopicProbe.header(record, "traceparent")).as("traceparent header").isNotNull().contains(traceId);
    }

    /**
     * A block may spend only outputs confirmed by earlier blocks or made earlier in the same block: a node that never
     * saw a parent's finality must be able to apply it. The proposal puts the parent before its child; the same block
     * with the child first is refused.
     */
    @Test
    @Order(22)
    void aProposalPutsAParentBeforeItsChildAndABlockSpendingAnOutputOnlyFinalityMadeIsRefused() {
        Block tip = reads.block(1).orElseThrow().block(); // the parent (order 20) is final here, its outputs not yet confirmed
        KeyPair payee = org.timecoin.protocol.crypto.Ed25519Keys.deterministic("ledger-test", "payee", 6);
        Transaction parent = pay(6, payee, Amount.time(50).sat());
        Transaction child = spendFirstOutput(parent, payee, Amount.time(49));
        publish("tx.finalized", StackRecords.encode(new StackRecords.Finalized(certify(child))));
        awaitFinal(child);

        var proposer = GENESIS.masternodes().get(2).nodeKey();
        publish("proposals.requests", StackRecords.encode(new StackRecords.BuildRequest(2, 0, tip.hash(), tip.header().timestampMillis(), proposer.publicKey())));
        StackRecords.Built built = await("proposals.responses", r -> StackRecords.decodeProposalResponse(r) instanceof StackRecords.Built b && b.height() == 2 ? b : null);
        List<Hash> order = built.block().transactions().stream().map(Transaction::txid).toList();
        assertThat(order).contains(parent.txid(), child.txid());
        assertThat(order.indexOf(parent.txid())).isLessThan(order.indexOf(child.txid()));
        assertThat(proposals.refusal(CHAIN, built.block(), built.certificates())).isEmpty();

        List<Transaction> childFirst = new ArrayList<>(built.block().transactions());
        Transaction builtParent = childFirst.remove(order.indexOf(parent.txid()));
        childFirst.add(childFirst.stream().map(Transaction::txid).toList().indexOf(child.txid()) + 1, builtParent);
        var h = built.block().header();
        Block reordered = new Block(new org.timecoin.protocol.model.BlockHeader(CHAIN, 2, h.previousHash(), Block.merkleRoot(childFirst), h.timestampMillis(),
                h.round(), h.proposer()), childFirst);
        assertThat(proposals.refusal(CHAIN, reordered, null).map(r -> r.reason())).contains(BlockRejectReason.UNCONFIRMED_INPUT);
    }

    /**
     * A certificate can come before the transaction's body (this node's ledger was behind on tx.submitted): the body,
     * when it comes, spends the inputs and makes the outputs at once, and a child waiting for those outputs is approved
     * then — not rejected when its wait ends because the outputs would only come with the block.
     */
    @Test
    @Order(23)
    void aBodyThatComesAfterItsCertificateMakesItsOutputsAtOnceAndWakesItsChildren() {
        KeyPair payee = org.timecoin.protocol.crypto.Ed25519Keys.deterministic("ledger-test", "payee", 8);
        Transaction parent = pay(8, payee, Amount.time(30).sat());
        Transaction child = spendFirstOutput(parent, payee, Amount.time(29));
        publish("tx.finalized", StackRecords.encode(new StackRecords.Finalized(certify(parent))));
        awaitFinal(parent);
        given().get("/v1/ledger/utxos/" + parent.txid().hex() + "/0").then().statusCode(404); // no body, no outputs yet

        publish("tx.submitted", child.toBytes()); // waits for its parent's outputs
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> orphansWaiting() == 1);
        publish("tx.submitted", parent.toBytes());

        assertThat(verdictFor(parent).verdict()).isEqualTo(TxVerdict.APPROVE);
        assertThat(verdictFor(child).verdict()).isEqualTo(TxVerdict.APPROVE);
        // announced as applied once, when the body made its outputs (one partition: an earlier, wrong one was seen first)
        awaitAppliedAnnounced(parent);
        assertThat(appliedAnnouncements(parent)).isEqualTo(1);
        given().get("/v1/ledger/utxos/" + fundedOutput(8).txid().hex() + "/8").then().body("state", equalTo("SPENT_FINAL"));
        given().get("/v1/ledger/utxos/" + parent.txid().hex() + "/0").then().statusCode(200).body("state", equalTo("LOCKED"));
        var status = given().get("/v1/ledger/transactions/" + parent.txid().hex()).then().body("status", equalTo("FINAL")).extract().jsonPath();
        assertThat(status.getLong("feeSat")).isEqualTo(DevnetGenesis.FUNDED_AMOUNT.sat() - parent.outputs().stream().mapToLong(o -> o.amount().sat()).sum());
    }

    /**
     * The validation of a body and the application of its certificate wait for each other (per txid): before, in two
     * database transactions that did not, the one that committed second had missed the other's row, and the transaction
     * stayed final without outputs until its block (its children were rejected UNKNOWN_INPUT after their orphan wait).
     */
    @Test
    @Order(24)
    void theValidationOfABodyAndTheApplicationOfItsCertificateWaitForEachOther() throws Exception {
        KeyPair payee = org.timecoin.protocol.crypto.Ed25519Keys.deterministic("ledger-test", "payee", 5);
        Transaction tx = pay(5, payee, Amount.time(40).sat());
        java.util.concurrent.CompletableFuture<?> validating;
        java.util.concurrent.CompletableFuture<?> applying;
        try (java.sql.Connection holder = dataSource.getConnection()) {
            holder.setAutoCommit(false);
            LedgerDb.lockTransactions(holder, List.of(tx.txid())); // as a validation of it in progress would
            validating = java.util.concurrent.CompletableFuture.runAsync(() -> locks.validateAndLockAll(List.of(tx)));
            applying = java.util.concurrent.CompletableFuture.runAsync(() -> finality.applyFinalities(List.of(certify(tx))));
            long key = LedgerDb.txLockKey(tx.txid()) & 0xffffffffL;
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> count(holder,
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = ? AND objid::text = ?",
                    LedgerDb.TX_LOCK_CLASS, Long.toString(key)) == 2);
            assertThat(validating).isNotDone();
            assertThat(applying).isNotDone();
            holder.commit();
        }
        validating.get(10, TimeUnit.SECONDS);
        applying.get(10, TimeUnit.SECONDS);
        // whichever went first, the transaction is final here with its outputs and its input spent
        given().get("/v1/ledger/transactions/" + tx.txid().hex()).then().body("status", equalTo("FINAL"));
        given().get("/v1/ledger/utxos/" + tx.txid().hex() + "/0").then().statusCode(200).body("amountSat", equalTo(Amount.time(40).sat()));
        given().get("/v1/ledger/utxos/" + fundedOutput(5).txid().hex() + "/5").then().body("state", equalTo("SPENT_FINAL"));
    }

    /**
     * An orphan whose own certificate came while it waited (the other nodes finalized it) is final with its outputs as
     * soon as its parent's finality wakes it, and the orphan waiting for those outputs is woken in turn — before, it was
     * left to its deadline (approved late, or rejected UNKNOWN_INPUT if the chain went on).
     */
    @Test
    @Order(25)
    void anOrphanFinalByItsCertificateWakesItsOwnChildrenWhenItsParentComes() {
        KeyPair payee = org.timecoin.protocol.crypto.Ed25519Keys.deterministic("ledger-test", "payee", 3);
        Transaction parent = pay(3, payee, Amount.time(30).sat());
        Transaction child = spendFirstOutput(parent, payee, Amount.time(29));
        Transaction grandchild = spendFirstOutput(child, PAYEE, Amount.time(28));
        double expiredBefore = orphansExpired();
        publish("tx.submitted", child.toBytes());
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> orphansWaiting() == 1);
        publish("tx.finalized", StackRecords.encode(new StackRecords.Finalized(certify(child))));
        awaitFinal(child); // by its certificate alone: its body waits in the orphan pool, so no outputs yet
        publish("tx.submitted", grandchild.toBytes());
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> orphansWaiting() == 2);

        publish("tx.submitted", parent.toBytes());
        publish("tx.finalized", StackRecords.encode(new StackRecords.Finalized(certify(parent))));
        assertThat(verdictFor(grandchild).verdict()).isEqualTo(TxVerdict.APPROVE);
        assertThat(orphansExpired()).as("woken, not approved at a deadline").isEqualTo(expiredBefore);
        awaitAppliedAnnounced(child);
        given().get("/v1/ledger/utxos/" + child.txid().hex() + "/0").then().statusCode(200).body("state", equalTo("LOCKED"));
    }

    /**
     * A certificate applied while a block confirms its transaction (the row appears between the certificate's read and
     * its write) leaves it confirmed: before, "final" overwrote "confirmed" for good (seen in FaultIT after a ledger
     * restart, when both topics are consumed from behind at once).
     */
    @Test
    @Order(26)
    void aCertificateAppliedWhileABlockConfirmsItsTransactionLeavesItConfirmed() throws Exception {
        KeyPair payee = org.timecoin.protocol.crypto.Ed25519Keys.deterministic("ledger-test", "payee", 4);
        Transaction tx = pay(4, payee, Amount.time(20).sat());
        java.util.concurrent.CompletableFuture<?> applying;
        try (java.sql.Connection block = dataSource.getConnection()) {
            block.setAutoCommit(false);
            try (var ps = block.prepareStatement("INSERT INTO tx (txid, body, status, fee, block_height) VALUES (?, ?, 3, 0, 1)")) {
                ps.setBytes(1, tx.txid().toByteArray());
                ps.setBytes(2, tx.toBytes());
                ps.executeUpdate(); // the block's write, not committed yet: the certificate's read does not see it
            }
            applying = java.util.concurrent.CompletableFuture.runAsync(() -> finality.applyFinalities(List.of(certify(tx))));
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> count(block, WAITING_ON_A_ROW) >= 1);
            block.commit();
        }
        applying.get(10, TimeUnit.SECONDS);
        given().get("/v1/ledger/transactions/" + tx.txid().hex()).then().body("status", equalTo("CONFIRMED"));
    }

    /**
     * The confirmed supply is kept per block in the chain state row (so the chain read costs one row, and height and
     * supply come from one snapshot); the audit sums the UTXO table itself at the same height, and says so when the two
     * differ.
     */
    @Test
    @Order(27)
    void theSupplyKeptPerBlockIsTheSumOfTheUtxoTable() throws Exception {
        var chain = given().get("/v1/ledger/chain").then().statusCode(200).extract().jsonPath();
        var audit = given().get("/v1/ledger/supply-audit").then().statusCode(200).extract().jsonPath();
        assertThat(audit.getLong("height")).isEqualTo(chain.getLong("height")).isPositive();
        assertThat(audit.getLong("trackedSat")).isEqualTo(chain.getLong("confirmedSupplySat"))
                .isEqualTo(GENESIS.initialSupply().plus(RewardSplit.BLOCK_SUBSIDY.multiply(chain.getLong("height"))).sat());
        assertThat(audit.getLong("countedSat")).isEqualTo(audit.getLong("trackedSat"));
        assertThat(audit.getBoolean("consistent")).isTrue();

        byte[] txid = new byte[32];
        new java.util.Random(27).nextBytes(txid);
        try (java.sql.Connection c = dataSource.getConnection()) {
            // a confirmed output no block made, as a faulty write would leave it
            try (var ps = c.prepareStatement("INSERT INTO utxo (txid, idx, amount, key_hash, state, created_height) VALUES (?, 0, 777, ?, 0, 1)")) {
                ps.setBytes(1, txid);
                ps.setBytes(2, java.util.Arrays.copyOf(txid, 20));
                ps.executeUpdate();
            }
            try {
                given().get("/v1/ledger/supply-audit").then().statusCode(200).body("consistent", is(false))
                        .body("countedSat", equalTo(audit.getLong("trackedSat") + 777)).body("trackedSat", equalTo(audit.getLong("trackedSat")));
            } finally { // undone for the tests after this one
                try (var ps = c.prepareStatement("DELETE FROM utxo WHERE txid = ?")) {
                    ps.setBytes(1, txid);
                    ps.executeUpdate();
                }
            }
        }
    }

    /** A database made before the supply was kept per block gets it from its UTXO table when migrated. */
    @Test
    @Order(11)
    void anExistingChainGetsItsConfirmedSupplyFromItsUtxosWhenMigrated() throws Exception {
        javax.sql.DataSource ds = newDatabase("supply_migration");
        org.flywaydb.core.Flyway.configure().dataSource(ds).locations("classpath:db/migration").target("2").load().migrate();
        try (var c = ds.getConnection(); var s = c.createStatement()) {
            s.execute("INSERT INTO chain_state VALUES (1, 7, '\\x00', 1, 0, '\\x00')");
            // confirmed and unspent, confirmed and spent by a final transaction: counted; spent in a block, or made by
            // finality alone: not
            s.execute("INSERT INTO utxo (txid, idx, amount, key_hash, state, created_height) VALUES "
                    + "('\\x01', 0, 5, '\\x00', 0, 3), ('\\x02', 0, 13, '\\x00', 3, 4), ('\\x03', 0, 7, '\\x00', 4, 2), ('\\x04', 0, 11, '\\x00', 0, NULL)");
        }
        org.flywaydb.core.Flyway.configure().dataSource(ds).locations("classpath:db/migration").load().migrate();
        assertThat(new LedgerReads(ds).supplyAudit().orElseThrow()).isEqualTo(new LedgerReads.SupplyAudit(7, 18L, 18));
    }

    /**
     * Past a block's worth of final transactions, a block takes those final longest. By txid, a transaction whose txid
     * sorted late waited as long as newer ones kept coming.
     */
    @Test
    @Order(13)
    void aBlockTakesTheTransactionsFinalLongest() throws Exception {
        Stores own = storeOfItsOwn("archive_order");
        List<Transaction> latestTxidFirst = java.util.stream.IntStream.range(0, 10).mapToObj(k -> pay(k, PAYEE, Amount.time(1).sat()))
                .sorted(java.util.Comparator.comparing((Transaction t) -> t.txid().hex()).reversed()).toList();
        assertThat(own.locks().validateAndLockAll(latestTxidFirst)).allMatch(LockStore.Verdict::approved);
        for (Transaction t : latestTxidFirst) own.finality().applyFinalities(List.of(certify(t))); // one after the other
        assertThat(own.proposals().proposalCandidates(3)).extracting(c -> c.tx().txid())
                .containsExactlyInAnyOrderElementsOf(latestTxidFirst.subList(0, 3).stream().map(Transaction::txid).toList());
    }

    /** Every entry of a key's history, walked {@code pageSize} at a time through the store's keyset positions. */
    static List<LedgerReads.HistoryEntry> walkHistory(LedgerReads reads, KeyPair key, int pageSize) {
        List<LedgerReads.HistoryEntry> all = new ArrayList<>();
        LedgerReads.HistoryPosition after = null;
        while (true) {
            List<LedgerReads.HistoryEntry> page = reads.historyOf(key.keyHash(), after, pageSize);
            all.addAll(page);
            if (page.size() < pageSize) return all;
            after = page.get(page.size() - 1).position();
        }
    }

    /**
     * An address's history: a lock is not history; finality adds the transaction (no height yet) with what it paid the
     * address and what it spent of it; its block gives it the height; block rewards appear though they have no
     * transaction row; newest first, final ones first, pages in the same order as one long page.
     */
    @Test
    @Order(14)
    void anAddressHistoryShowsWhatEachFinalTransactionPaidAndSpentNewestFirst() throws Exception {
        Stores own = storeOfItsOwn("address_history");
        KeyPair sender = GENESIS.fundedKeys().get(2);
        KeyPair payee = org.timecoin.protocol.crypto.Ed25519Keys.deterministic("ledger-test", "history", 0);
        Transaction funding = GENESIS.block().transactions().get(0);
        long funded = DevnetGenesis.FUNDED_AMOUNT.sat();
        LedgerReads.HistoryEntry genesisEntry = new LedgerReads.HistoryEntry(new LedgerReads.HistoryPosition(0L, funding.txid()), funded, 0);
        assertThat(own.reads().historyOf(sender.keyHash(), null, 10)).containsExactly(genesisEntry);

        Transaction first = pay(2, payee, Amount.time(100).sat());
        long change = first.outputs().get(1).amount().sat();
        assertThat(own.locks().validateAndLockAll(List.of(first))).allMatch(LockStore.Verdict::approved);
        assertThat(own.reads().historyOf(sender.keyHash(), null, 10)).as("locked, not final").containsExactly(genesisEntry);
        assertThat(own.reads().historyOf(payee.keyHash(), null, 10)).isEmpty();

        own.finality().applyFinalities(List.of(certify(first)));
        assertThat(own.reads().historyOf(sender.keyHash(), null, 10)).containsExactly(
                new LedgerReads.HistoryEntry(new LedgerReads.HistoryPosition(null, first.txid()), change, funded), genesisEntry);
        assertThat(own.reads().historyOf(payee.keyHash(), null, 10)).containsExactly(
                new LedgerReads.HistoryEntry(new LedgerReads.HistoryPosition(null, first.txid()), Amount.time(100).sat(), 0));

        var proposer = GENESIS.masternodes().get(0).nodeKey();
        long fee = own.reads().transaction(first.txid()).orElseThrow().fee();
        List<Transaction> txs = List.of(Transaction.reward(1, RewardSplit.split(RewardSplit.blockReward(Amount.sat(fee)), GENESIS.validatorSet(),
                proposer.publicKey())), first);
        Block block = new Block(new org.timecoin.protocol.model.BlockHeader(CHAIN, 1, GENESIS.hash(), Block.merkleRoot(txs),
                GENESIS.block().header().timestampMillis() + 1, 0, proposer.publicKey()), txs);
        own.chain().applyBlock(CHAIN, block, commit(block));
        assertThat(own.reads().historyOf(sender.keyHash(), null, 10)).containsExactly(
                new LedgerReads.HistoryEntry(new LedgerReads.HistoryPosition(1L, first.txid()), change, funded), genesisEntry);
        // a reward has no transaction row: its outputs are its history
        TxOutput reward = txs.get(0).outputs().get(0);
        long rewarded = txs.get(0).outputs().stream().filter(o -> o.keyHash().equals(reward.keyHash())).mapToLong(o -> o.amount().sat()).sum();
        assertThat(own.reads().historyOf(reward.keyHash(), null, 10)).contains(
                new LedgerReads.HistoryEntry(new LedgerReads.HistoryPosition(1L, txs.get(0).txid()), rewarded, 0));

        // two more payments to the payee, final in no block yet: before block 1's, by txid down; pages of one agree
        List<Transaction> later = List.of(pay(3, payee, Amount.time(5).sat()), pay(4, payee, Amount.time(6).sat()));
        assertThat(own.locks().validateAndLockAll(later)).allMatch(LockStore.Verdict::approved);
        own.finality().applyFinalities(later.stream().map(LedgerServiceTest::certify).toList());
        List<Hash> laterNewestFirst = later.stream().map(Transaction::txid).sorted(java.util.Comparator.comparing(Hash::hex).reversed()).toList();
        List<LedgerReads.HistoryEntry> onePage = own.reads().historyOf(payee.keyHash(), null, 10);
        assertThat(onePage).extracting(e -> e.position().txid()).containsExactly(laterNewestFirst.get(0), laterNewestFirst.get(1), first.txid());
        assertThat(onePage).extracting(e -> e.position().blockHeight()).containsExactly(null, null, 1L);
        assertThat(walkHistory(own.reads(), payee, 1)).isEqualTo(onePage);
        assertThat(walkHistory(own.reads(), payee, 2)).isEqualTo(onePage);

        // the sender spends all its change, keeping nothing: an entry that only spent
        long fee2 = TransactionRules.minimumFee(TransactionRules.transferSize(1, 1)).sat();
        Transaction all = Transaction.transfer(List.of(new OutPoint(first.txid(), 1)), List.of(new TxOutput(Amount.sat(change - fee2), payee.keyHash())))
                .signed(CHAIN, List.of(sender));
        assertThat(own.locks().validateAndLockAll(List.of(all))).allMatch(LockStore.Verdict::approved);
        own.finality().applyFinalities(List.of(certify(all)));
        List<LedgerReads.HistoryEntry> senderHistory = own.reads().historyOf(sender.keyHash(), null, 10);
        assertThat(senderHistory).containsExactly(new LedgerReads.HistoryEntry(new LedgerReads.HistoryPosition(null, all.txid()), 0, change),
                new LedgerReads.HistoryEntry(new LedgerReads.HistoryPosition(1L, first.txid()), change, funded), genesisEntry);
        assertThat(walkHistory(own.reads(), sender, 1)).isEqualTo(senderHistory);
        assertThat(own.reads().historyOf(sender.keyHash(), senderHistory.get(0).position(), 1)).containsExactly(senderHistory.get(1));
    }

    /**
     * During a rollout a ledger of the version before V3 may apply blocks: it moves the tip and not the kept supply.
     * Chain reads then sum the table, and the next block this version applies keeps the supply again from that sum.
     */
    @Test
    @Order(12)
    void aBlockAppliedByAnOlderLedgerDuringARolloutLeavesTheSupplyRight() throws Exception {
        javax.sql.DataSource ds = newDatabase("supply_rollout");
        Stores own = storeOver(ds);
        long genesisSupply = GENESIS.initialSupply().sat();
        long subsidy = RewardSplit.BLOCK_SUBSIDY.sat();
        Block first = rewardOnly(GENESIS.block());
        own.chain().applyBlock(CHAIN, first, commit(first));
        assertThat(own.reads().supplyAudit().orElseThrow()).isEqualTo(new LedgerReads.SupplyAudit(1, genesisSupply + subsidy, genesisSupply + subsidy));
        // as an older ledger would have applied the first block: everything written but the supply
        try (var c = ds.getConnection(); var s = c.createStatement()) {
            s.execute("UPDATE chain_state SET confirmed_supply = " + genesisSupply + ", supply_height = 0");
        }
        assertThat(own.reads().chainSummary().orElseThrow().confirmedSupplySat()).as("summed").isEqualTo(genesisSupply + subsidy);
        assertThat(own.reads().supplyAudit().orElseThrow().consistent()).isFalse();
        Block second = rewardOnly(first);
        own.chain().applyBlock(CHAIN, second, commit(second));
        assertThat(own.reads().supplyAudit().orElseThrow()).isEqualTo(new LedgerReads.SupplyAudit(2, genesisSupply + 2 * subsidy, genesisSupply + 2 * subsidy));
        assertThat(own.reads().chainSummary().orElseThrow().confirmedSupplySat()).isEqualTo(genesisSupply + 2 * subsidy);
    }

    /**
     * A record of tx.finalized holds the outcomes of one consensus event: each certificate is checked on its own, so a
     * bad one is parked alone and the others in the record are applied.
     */
    @Test
    @Order(28)
    void aBadCertificateInARecordIsParkedAloneAndTheOthersApply() {
        Hash goodTxid = Hashes.tagged(HashTag.TX, "final elsewhere, body not here yet".getBytes());
        Hash badTxid = Hashes.tagged(HashTag.TX, "two votes only".getBytes());
        List<FinalityCertificate.VoteProof> two = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            two.add(TxVoteBatch.sign(CHAIN, 1, GENESIS.masternodes().get(i).nodeKey(), List.of(new VoteEntry(badTxid, TxVerdict.APPROVE))).proofFor(0));
        }
        List<FinalityCertificate.VoteProof> three = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            three.add(TxVoteBatch.sign(CHAIN, 1, GENESIS.masternodes().get(i).nodeKey(), List.of(new VoteEntry(goodTxid, TxVerdict.APPROVE))).proofFor(0));
        }
        double parkedBefore = parked("tx.finalized", "BAD_FINALITY_CERTIFICATE");
        List<byte[]> records = StackRecords.encodeOutcomes(List.of(new StackRecords.Finalized(new FinalityCertificate(CHAIN, badTxid, 1, two)),
                new StackRecords.Finalized(new FinalityCertificate(CHAIN, goodTxid, 1, three))));
        assertThat(records).hasSize(1);
        publish("tx.finalized", records.get(0));
        Awaitility.await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> given().get("/v1/ledger/transactions/" + goodTxid.hex()).then()
                .statusCode(200).body("status", equalTo("FINAL")));
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> parked("tx.finalized", "BAD_FINALITY_CERTIFICATE") == parkedBefore + 1);
        given().get("/v1/ledger/transactions/" + badTxid.hex()).then().statusCode(404);
    }

    static double parked(String topic, String reason) {
        return counterSum("timecoin_ledger_records_rejected_total", "reason=\"" + reason + "\"", "topic=\"" + topic + "\"");
    }

    /** The sum of a labelled counter's series that carry all of {@code labels}, as /q/metrics shows them now. */
    static double counterSum(String name, String... labels) {
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        return metrics.lines().filter(l -> l.startsWith(name + "{") && java.util.Arrays.stream(labels).allMatch(l::contains))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /** A count query's result, read on {@code c}. */
    static long count(java.sql.Connection c, String sql, Object... params) throws java.sql.SQLException {
        try (var ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) ps.setObject(i + 1, params[i]);
            try (var rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Sessions waiting for a row another transaction has written and not committed yet. */
    static final String WAITING_ON_A_ROW = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'transactionid'";

    static double orphansExpired() {
        return counterSum("timecoin_ledger_orphans_expired_total");
    }

    /**
     * A poll of finalized blocks is applied in one database transaction, all or nothing; a refused block among them
     * does not hold up the others, and is parked with its reason.
     */
    @Test
    @Order(30)
    void aRunOfFinalizedBlocksIsAppliedAllOrNothingAndARefusedOneDoesNotHoldUpTheOthers() {
        long height = given().get("/v1/ledger/chain").then().extract().jsonPath().getLong("height");
        Block b1 = rewardOnly(reads.block(height).orElseThrow().block());
        Block b2 = rewardOnly(b1);
        Block b3 = rewardOnly(b2);
        CommitCertificate tooFew = new CommitCertificate(CHAIN, b2.height(), 0, b2.hash(), commit(b2).seals().subList(0, 2));
        assertThatThrownBy(() -> chain.applyBlocks(CHAIN, List.of(new StackRecords.FinalizedBlock(b1, commit(b1)), new StackRecords.FinalizedBlock(b2, tooFew))))
                .isInstanceOf(ChainStore.InvalidBlockException.class).extracting(e -> ((ChainStore.InvalidBlockException) e).reason()).isEqualTo(BlockRejectReason.BAD_COMMIT_CERTIFICATE);
        given().get("/v1/ledger/chain").then().body("height", is((int) height)); // the first one was undone with it

        double refusedBefore = refused("BAD_COMMIT_CERTIFICATE");
        List<byte[][]> run = new ArrayList<>();
        for (StackRecords.FinalizedBlock f : List.of(new StackRecords.FinalizedBlock(b1, commit(b1)), new StackRecords.FinalizedBlock(b2, tooFew),
                new StackRecords.FinalizedBlock(b2, commit(b2)), new StackRecords.FinalizedBlock(b3, commit(b3)), new StackRecords.FinalizedBlock(b1, commit(b1)))) {
            run.add(new byte[][] {null, StackRecords.encode(f)});
        }
        topics.publishAll("blocks.finalized", run); // in bulk: one poll, most likely
        Block b4 = rewardOnly(b3); // consumed after the whole run (one partition, in order)
        publish("blocks.finalized", StackRecords.encode(new StackRecords.FinalizedBlock(b4, commit(b4))));
        Awaitility.await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> given().get("/v1/ledger/chain").then().body("height", is((int) height + 4))
                .body("tipHash", equalTo(b4.hash().hex())));
        assertThat(refused("BAD_COMMIT_CERTIFICATE")).isEqualTo(refusedBefore + 1);
        // each block applied once: the late copy of the first one changed nothing, and re-announced the tip it found
        // (what a consensus behind its ledger waits for)
        Function<byte[], Hash> hash = r -> StackRecords.decodeBlockApplied(r).hash();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> topics.collect("blocks.applied", hash, 1, Duration.ofSeconds(10)).contains(b4.hash()));
        List<Hash> announced = topics.collect("blocks.applied", hash, 1, Duration.ofSeconds(10));
        for (Block b : List.of(b1, b2, b4)) assertThat(announced).as("announcements of block %d", b.height()).containsOnlyOnce(b.hash());
        assertThat(announced.stream().filter(b3.hash()::equals).count()).as("block 3: applied, then the tip when the late copy came").isEqualTo(2);
    }

    /** A confirmed unspent output of a genesis-funded key worth at least {@code sat}, and that key. */
    static java.util.Map.Entry<KeyPair, LedgerResource.Utxo> confirmedCoin(long sat) {
        for (KeyPair k : GENESIS.fundedKeys()) {
            String address = Address.of(Network.DEVNET, k.keyHash()).toString();
            List<LedgerResource.Utxo> utxos = given().get("/v1/ledger/addresses/" + address + "/utxos?limit=1000").then().statusCode(200)
                    .extract().jsonPath().getList("utxos", LedgerResource.Utxo.class);
            for (LedgerResource.Utxo u : utxos) {
                if (u.state().equals("UNSPENT") && u.confirmedHeight() != null && u.amountSat() >= sat) return java.util.Map.entry(k, u);
            }
        }
        throw new AssertionError("no confirmed coin of " + sat + " sat left");
    }

    /** Builds the next block with the ledger's own builder, as a leader would, and applies it with a commit certificate. */
    Block buildAndApplyNextBlock() {
        return buildAndApplyNextBlock(List.of());
    }

    /** {@code alsoSealing}: signers of the commit beyond the first three genesis masternodes (once the set has grown). */
    Block buildAndApplyNextBlock(List<KeyPair> alsoSealing) {
        ChainStore.Tip tip = chain.tip().orElseThrow();
        var proposer = GENESIS.masternodes().get(0).nodeKey();
        publish("proposals.requests", StackRecords.encode(new StackRecords.BuildRequest(tip.height() + 1, 0, tip.hash(), tip.timestampMillis(), proposer.publicKey())));
        StackRecords.Built built = await("proposals.responses", r -> StackRecords.decodeProposalResponse(r) instanceof StackRecords.Built b
                && b.height() == tip.height() + 1 ? b : null);
        assertThat(proposals.refusal(CHAIN, built.block(), built.certificates())).isEmpty();
        CommitCertificate seals = commit(built.block());
        List<CommitCertificate.Seal> all = new ArrayList<>(seals.seals());
        for (KeyPair k : alsoSealing) {
            all.add(new CommitCertificate.Seal(k.publicKey(), SignedConsensusMessage.sign(new ConsensusMessage.Commit(CHAIN, built.block().height(),
                    built.block().header().round(), k.publicKey(), built.block().hash()), k).signature()));
        }
        publish("blocks.finalized", StackRecords.encode(new StackRecords.FinalizedBlock(built.block(), new CommitCertificate(CHAIN, seals.height(),
                seals.round(), seals.blockHash(), all))));
        await("blocks.applied", r -> StackRecords.decodeBlockApplied(r).height() == built.block().height() ? Boolean.TRUE : null);
        return built.block();
    }

    static Transaction register(KeyPair owner, KeyPair node, org.timecoin.protocol.model.Tier tier, OutPoint collateral, OutPoint feeCoin, long feeCoinSat) {
        var reg = new org.timecoin.protocol.model.MasternodeRegistration(node.publicKey(), "127.0.0.1", 25000, owner.keyHash(), tier, collateral)
                .signedBy(CHAIN, owner, node);
        KeyPair payer = tier == org.timecoin.protocol.model.Tier.FREE ? node : owner;
        Transaction unsigned = new Transaction(List.of(org.timecoin.protocol.model.TxInput.unsigned(feeCoin)),
                List.of(new TxOutput(Amount.sat(feeCoinSat - 5_000), payer.keyHash())), reg);
        return unsigned.signed(CHAIN, List.of(payer));
    }

    @Test
    @Order(31)
    void oneCollateralBacksOneMasternodeAndOneNodeKeyIsRegisteredOnceInValidationInBlocksAndInTheSchema() throws Exception {
        var coin = confirmedCoin(Amount.time(1_100).sat());
        KeyPair funder = coin.getKey();
        KeyPair owner = org.timecoin.protocol.crypto.Ed25519Keys.deterministic("ledger-test", "mn-owner", 0);
        KeyPair node1 = org.timecoin.protocol.crypto.Ed25519Keys.deterministic("ledger-test", "mn-node", 1);
        KeyPair node2 = org.timecoin.protocol.crypto.Ed25519Keys.deterministic("ledger-test", "mn-node", 2);
        long coinSat = coin.getValue().amountSat();
        long tenTime = Amount.time(10).sat();
        long change = coinSat - Amount.time(1_000).sat() - 4 * tenTime - 10_000;
        Transaction funding = Transaction.transfer(List.of(new OutPoint(Hash.fromHex(coin.getValue().txid()), coin.getValue().index())), List.of(
                new TxOutput(Amount.time(1_000), owner.keyHash()), new TxOutput(Amount.sat(tenTime), owner.keyHash()),
                new TxOutput(Amount.sat(tenTime), owner.keyHash()), new TxOutput(Amount.sat(tenTime), node1.keyHash()),
                new TxOutput(Amount.sat(tenTime), owner.keyHash()), new TxOutput(Amount.sat(change), funder.keyHash()))).signed(CHAIN, List.of(funder));
        assertThat(locks.validateAndLock(funding).approved()).isTrue();
        finality.applyFinalities(List.of(certify(funding)));
        buildAndApplyNextBlock();
        OutPoint collateral = new OutPoint(funding.txid(), 0);
        OutPoint feeA = new OutPoint(funding.txid(), 1);
        OutPoint feeB = new OutPoint(funding.txid(), 2);
        OutPoint nodeCoin = new OutPoint(funding.txid(), 3);
        OutPoint spare = new OutPoint(funding.txid(), 4);

        Transaction first = register(owner, node1, org.timecoin.protocol.model.Tier.BRONZE, collateral, feeA, tenTime);
        Transaction sameCollateral = register(owner, node2, org.timecoin.protocol.model.Tier.BRONZE, collateral, feeB, tenTime);
        Transaction sameNodeKey = register(node1, node1, org.timecoin.protocol.model.Tier.FREE, OutPoint.NULL, nodeCoin, tenTime);
        Transaction spendsCollateral = Transaction.transfer(List.of(collateral), List.of(new TxOutput(Amount.time(999), owner.keyHash()))).signed(CHAIN, List.of(owner));
        // in one poll and one by one: the first registration wins, the others name what it claims and lock nothing
        List<LockStore.Verdict> verdicts = locks.validateAndLockAll(List.of(first, sameCollateral));
        assertThat(verdicts.get(0).approved()).isTrue();
        assertThat(verdicts.get(1).reason()).isEqualTo(org.timecoin.protocol.rules.RejectReason.COLLATERAL_IN_USE);
        assertThat(locks.validateAndLock(sameNodeKey).reason()).isEqualTo(org.timecoin.protocol.rules.RejectReason.NODE_KEY_IN_USE);
        assertThat(locks.validateAndLock(spendsCollateral).reason()).isEqualTo(org.timecoin.protocol.rules.RejectReason.COLLATERAL_IN_USE);
        for (OutPoint untouched : List.of(feeB, nodeCoin, collateral)) {
            given().get("/v1/ledger/utxos/" + untouched.txid().hex() + "/" + untouched.index()).then().body("state", equalTo("UNSPENT"));
        }

        // a Byzantine quorum certifies the second registration too: no block may hold both, or it beside a spend of the collateral
        finality.applyFinalities(List.of(certify(first), certify(sameCollateral)));
        assertThat(locks.validateAndLock(sameCollateral).approved()).isTrue(); // its body completes its finality here
        Block tipBlock = reads.block(chain.tip().orElseThrow().height()).orElseThrow().block();
        Block both = blockAfter(tipBlock, List.of(first, sameCollateral));
        BlockRejectReason.Refusal refusal = proposals.refusal(CHAIN, both, List.of(certify(first), certify(sameCollateral))).orElseThrow();
        assertThat(refusal.reason()).isEqualTo(RejectReason.COLLATERAL_IN_USE);
        assertThat(refusal.txid()).isEqualTo(sameCollateral.txid());
        Block withSpend = blockAfter(tipBlock, List.of(first, spendsCollateral));
        assertThat(proposals.refusal(CHAIN, withSpend, List.of(certify(first), certify(spendsCollateral))).orElseThrow().reason()).isEqualTo(RejectReason.COLLATERAL_IN_USE);

        // the leader's builder leaves the loser out instead of proposing a block every node refuses
        Block block = buildAndApplyNextBlock();
        assertThat(block.transactions()).extracting(Transaction::txid).contains(first.txid()).doesNotContain(sameCollateral.txid());
        // registered, not active: a registration alone counts for nothing until its node proves it runs
        long epochBefore = chain.tip().orElseThrow().epoch();
        assertThat(sets.validatorSet().member(node1.publicKey())).isNull();
        ChainStore.Tip tip = chain.tip().orElseThrow();
        assertThat(locks.validateAndLock(MasternodeActivation.sign(CHAIN, node1, tip.height(), Hash.ZERO).transaction()).reason())
                .as("a block this chain does not have").isEqualTo(org.timecoin.protocol.rules.RejectReason.STALE_ACTIVATION);
        assertThat(locks.validateAndLock(MasternodeActivation.sign(CHAIN, node2, tip.height(), tip.hash()).transaction()).reason())
                .isEqualTo(org.timecoin.protocol.rules.RejectReason.NOT_REGISTERED);
        assertThat(locks.validateAndLock(MasternodeActivation.sign(CHAIN, GENESIS.masternodes().get(0).nodeKey(), ServiceProof.MIN_GAP_BLOCKS - 1, tip.hash())
                .transaction()).reason()).as("a member's proof too close to its latest (genesis: 0)").isEqualTo(org.timecoin.protocol.rules.RejectReason.ALREADY_ACTIVE);
        Transaction activation = MasternodeActivation.sign(CHAIN, node1, tip.height(), tip.hash()).transaction();
        assertThat(locks.validateAndLock(activation).approved()).isTrue();
        Block previous = reads.block(tip.height() - 1).orElseThrow().block();
        assertThat(locks.validateAndLock(MasternodeActivation.sign(CHAIN, node1, previous.height(), previous.hash()).transaction()).reason())
                .as("one activation at a time").isEqualTo(org.timecoin.protocol.rules.RejectReason.NODE_KEY_IN_USE);
        finality.applyFinalities(List.of(certify(activation)));
        block = buildAndApplyNextBlock();
        assertThat(block.transactions()).extracting(Transaction::txid).contains(activation.txid());
        // in the set from the boundary after its activation's block
        while (sets.validatorSet().voters().size() == 4) block = buildAndApplyNextBlock();
        assertThat(sets.validatorSet().voters()).hasSize(5);
        assertThat(ValidatorSet.isBoundary(chain.tip().orElseThrow().height() + 1)).isTrue();
        assertThat(sets.validatorSet().epoch()).isEqualTo(chain.tip().orElseThrow().height() + 1).isGreaterThan(epochBefore);
        assertThat(sets.validatorSet().jointWith().voters()).hasSize(4); // joint with the set before the change
        // a payment final under the old epoch, not archived before the change: its certificate is checked against the old
        // epoch's set, which the ledger keeps (before, every proposal was refused from here on)
        Transaction inFlight = Transaction.transfer(List.of(spare), List.of(new TxOutput(Amount.time(9), owner.keyHash()))).signed(CHAIN, List.of(owner));
        assertThat(locks.validateAndLock(inFlight).approved()).isTrue();
        finality.applyFinalities(List.of(certify(inFlight)));
        block = buildAndApplyNextBlock(List.of(node1));
        assertThat(block.transactions()).extracting(Transaction::txid).contains(inFlight.txid());
        Transaction afterChange = Transaction.transfer(List.of(nodeCoin), List.of(new TxOutput(Amount.time(9), node1.keyHash()))).signed(CHAIN, List.of(node1));
        assertThat(locks.validateAndLock(afterChange).approved()).isTrue();
        ValidatorSet joint = sets.validatorSet();
        FinalityCertificate oldVotersOnly = certifyUnder(afterChange, joint.epoch(), List.of(GENESIS.masternodes().get(0).nodeKey(),
                GENESIS.masternodes().get(1).nodeKey(), GENESIS.masternodes().get(2).nodeKey(), GENESIS.masternodes().get(3).nodeKey()));
        assertThat(oldVotersOnly.verify(CHAIN, joint)).as("4 of 5 new voters, all of the old").isEmpty();
        FinalityCertificate newHeavy = certifyUnder(afterChange, joint.epoch(), List.of(node1, GENESIS.masternodes().get(0).nodeKey(),
                GENESIS.masternodes().get(1).nodeKey(), GENESIS.masternodes().get(2).nodeKey()));
        assertThat(newHeavy.verify(CHAIN, joint)).as("4 of 5 new voters, 3 of 4 old: a quorum of both").isEmpty();
        assertThat(sets.certificateSet(epochBefore)).as("the old epoch's set is kept").isNotNull();
        assertThat(sets.certificateSet(joint.epoch() + 1)).as("an epoch that never began").isNull();
        assertThat(sets.validatorSet().member(node1.publicKey()).collateral()).isEqualTo(collateral);
        assertThat(sets.validatorSet().member(node2.publicKey())).isNull();
        // registered now: the collateral and the key stay taken
        Transaction again = register(owner, node2, org.timecoin.protocol.model.Tier.BRONZE, collateral, feeB, tenTime);
        assertThat(proposals.refusal(CHAIN, blockAfter(block, List.of(again)), null).orElseThrow().reason()).isEqualTo(RejectReason.COLLATERAL_IN_USE);
        // and the schema refuses a second masternode on one collateral, whatever wrote it
        try (var c = dataSource.getConnection(); var ps = c.prepareStatement("INSERT INTO masternode (node_key, tier, host, port, reward_key_hash, "
                + "collateral_txid, collateral_idx, registered_height, active_from) VALUES (?, 1, 'x', 1, ?, ?, ?, 0, 1)")) {
            ps.setBytes(1, node2.publicKey().toByteArray());
            ps.setBytes(2, owner.keyHash().toByteArray());
            ps.setBytes(3, collateral.txid().toByteArray());
            ps.setInt(4, collateral.index());
            assertThatThrownBy(ps::executeUpdate).isInstanceOf(java.sql.SQLException.class).hasMessageContaining("masternode_collateral_once");
        }
    }

    @Test
    @Order(32)
    void tenThousandMasternodesMostlyFreeStillMakeASmallBlockThatBuildsChecksAndApplies() throws Exception {
        // 9,995 Free nodes beside the 5 voters, in force from the next height (as registrations at a boundary would be)
        long next = chain.tip().orElseThrow().height() + 1;
        try (var c = dataSource.getConnection(); var ps = c.prepareStatement("INSERT INTO masternode (node_key, tier, host, port, reward_key_hash, "
                + "collateral_txid, collateral_idx, registered_height, active_from) SELECT decode(lpad(to_hex(g), 64, '0'), 'hex'), 0, 'h', 1, "
                + "substring(decode(lpad(to_hex(g), 64, '0'), 'hex') from 13 for 20), ?, 0, ?, ? FROM generate_series(1, 9995) AS g")) {
            ps.setBytes(1, new byte[32]);
            ps.setLong(2, next - 1);
            ps.setLong(3, next);
            assertThat(ps.executeUpdate()).isEqualTo(9_995);
        }
        ValidatorSet set = sets.validatorSet();
        assertThat(set.members()).hasSize(10_000);
        assertThat(set.voters()).hasSize(5);
        long t0 = System.nanoTime();
        Block block = buildAndApplyNextBlock(List.of(org.timecoin.protocol.crypto.Ed25519Keys.deterministic("ledger-test", "mn-node", 1)));
        long millis = (System.nanoTime() - t0) / 1_000_000;
        Transaction reward = block.transactions().get(0);
        assertThat(reward.outputs().size()).isLessThanOrEqualTo(RewardSplit.MAX_REWARD_OUTPUTS + 1);
        long toFree = 0;
        java.util.Set<org.timecoin.protocol.crypto.KeyHash> voterKeys = new java.util.HashSet<>();
        for (ValidatorSet.Member m : set.voters()) voterKeys.add(m.rewardKeyHash());
        for (TxOutput o : reward.outputs()) if (!voterKeys.contains(o.keyHash())) toFree += o.amount().sat();
        long total = reward.outputs().stream().mapToLong(o -> o.amount().sat()).sum();
        assertThat(toFree).as("the Free pool is capped").isLessThanOrEqualTo(total / 10);
        System.out.printf("10,000 masternodes: block %d built, checked (twice) and applied in %d ms; reward %d outputs, %d bytes%n",
                block.height(), millis, reward.outputs().size(), reward.encodedSize());
    }

    @Test
    @Order(33)
    void aMemberThatStopsProvingServiceLeavesAtABoundaryAndComesBackByActivatingAgainButNeverTooManyAtOnce() throws Exception {
        KeyPair node1 = org.timecoin.protocol.crypto.Ed25519Keys.deterministic("ledger-test", "mn-node", 1);
        List<KeyPair> genesis = GENESIS.masternodes().stream().map(m -> m.nodeKey()).toList();
        int limit = ServiceProof.EXPIRY_BLOCKS + 3 * ValidatorSet.EPOCH_BLOCKS;
        // the 9,995 Free nodes of the test before never proved service: they are out at the first boundary past the expiry
        for (int i = 0; i < limit && sets.validatorSet().members().size() > 5; i++) buildAndApplyNextBlock(List.of(node1));
        assertThat(sets.validatorSet().members()).as("a Free node earns only while it proves service").hasSize(5);
        assertThat(sets.validatorSet().voters()).as("voters that did not prove either: too many to remove at once").hasSize(5);

        // the genesis nodes prove service (renewals); node 1 does not
        for (int i = 0; i < ServiceProof.MIN_GAP_BLOCKS; i++) buildAndApplyNextBlock(List.of(node1));
        ChainStore.Tip tip = chain.tip().orElseThrow();
        List<Transaction> renewals = new ArrayList<>();
        for (KeyPair k : genesis) renewals.add(MasternodeActivation.sign(CHAIN, k, tip.height(), tip.hash()).transaction());
        for (Transaction r : renewals) assertThat(locks.validateAndLock(r).approved()).as("a renewal").isTrue();
        assertThat(locks.validateAndLock(MasternodeActivation.sign(CHAIN, genesis.get(0), tip.height() - 1, reads.block(tip.height() - 1).orElseThrow().block().hash())
                .transaction()).reason()).as("one proof pending at a time").isEqualTo(org.timecoin.protocol.rules.RejectReason.NODE_KEY_IN_USE);
        finality.applyFinalities(renewals.stream().map(LedgerServiceTest::certify).toList());
        Block block = buildAndApplyNextBlock(List.of(node1));
        assertThat(block.transactions()).extracting(Transaction::txid).containsAll(renewals.stream().map(Transaction::txid).toList());
        given().get("/v1/ledger/masternodes").then().statusCode(200)
                .body("find { it.nodeKey == '" + genesis.get(0).publicKey().hex() + "' }.provenHeight", is((int) tip.height()));
        // too soon after its proof: refused in validation and as a block rule (a Byzantine quorum certified it)
        Transaction tooSoon = MasternodeActivation.sign(CHAIN, genesis.get(1), block.height(), block.hash()).transaction();
        assertThat(locks.validateAndLock(tooSoon).reason()).isEqualTo(org.timecoin.protocol.rules.RejectReason.ALREADY_ACTIVE);
        assertThat(proposals.refusal(CHAIN, blockAfter(block, List.of(tooSoon)), List.of(certify(tooSoon))).orElseThrow().reason()).isEqualTo(RejectReason.ALREADY_ACTIVE);

        // node 1 misses its proofs: it leaves at the first boundary past the expiry, the joint epoch ends, blocks go on
        long epochBefore = sets.validatorSet().epoch();
        for (int i = 0; i < limit && sets.validatorSet().isVoter(node1.publicKey()); i++) buildAndApplyNextBlock(List.of(node1));
        ValidatorSet after = sets.validatorSet();
        assertThat(after.isVoter(node1.publicKey())).isFalse();
        assertThat(after.voters()).hasSize(4);
        assertThat(after.epoch()).isEqualTo(chain.tip().orElseThrow().height() + 1).isGreaterThan(epochBefore);
        assertThat(after.jointWith().isVoter(node1.publicKey())).as("joint with the set it left").isTrue();
        given().get("/v1/ledger/masternodes").then().statusCode(200)
                .body("find { it.nodeKey == '" + node1.publicKey().hex() + "' }.expiredFromHeight", is((int) after.epoch()));
        for (int i = 0; i < ValidatorSet.EPOCH_BLOCKS; i++) block = buildAndApplyNextBlock();

        // it runs again: an activation brings it back from the next boundary
        tip = chain.tip().orElseThrow();
        Transaction back = MasternodeActivation.sign(CHAIN, node1, tip.height(), tip.hash()).transaction();
        assertThat(locks.validateAndLock(back).approved()).isTrue();
        finality.applyFinalities(List.of(certify(back)));
        for (int i = 0; i < 2 * ValidatorSet.EPOCH_BLOCKS && !sets.validatorSet().isVoter(node1.publicKey()); i++) buildAndApplyNextBlock();
        assertThat(sets.validatorSet().voters()).hasSize(5);
        assertThat(sets.validatorSet().isVoter(node1.publicKey())).isTrue();
        given().get("/v1/ledger/masternodes").then().statusCode(200)
                .body("find { it.nodeKey == '" + node1.publicKey().hex() + "' }.expiredFromHeight", nullValue());
    }

    int txStatus(Hash txid) throws Exception {
        try (var c = dataSource.getConnection(); var ps = c.prepareStatement("SELECT status FROM tx WHERE txid = ?")) {
            ps.setBytes(1, txid.toByteArray());
            try (var rs = ps.executeQuery()) {
                return rs.next() ? rs.getInt(1) : -1;
            }
        }
    }

    /** A proof whose votes never come, or that is final but never archived, must not refuse the node's next proof for good. */
    @Test
    @Order(34)
    void aProofThatNeverGetsItsVotesOrItsBlockDoesNotBlockTheNodesNextOne() throws Exception {
        KeyPair node1 = org.timecoin.protocol.crypto.Ed25519Keys.deterministic("ledger-test", "mn-node", 1);
        for (int i = 0; i < ServiceProof.MIN_GAP_BLOCKS; i++) buildAndApplyNextBlock(List.of(node1));
        ChainStore.Tip tip = chain.tip().orElseThrow();
        Block below = reads.block(tip.height() - 1).orElseThrow().block();
        Transaction stuck = MasternodeActivation.sign(CHAIN, node1, tip.height(), tip.hash()).transaction();
        Transaction next = MasternodeActivation.sign(CHAIN, node1, below.height(), below.hash()).transaction();
        assertThat(locks.validateAndLock(stuck).approved()).isTrue();
        assertThat(locks.validateAndLock(next).reason()).isEqualTo(org.timecoin.protocol.rules.RejectReason.NODE_KEY_IN_USE);
        // its votes never come (no lock of an input to time out): the ledger's sweep releases it as it does expired locks
        assertThat(locks.expiredLocks(0)).contains(stuck.txid());
        locks.release(stuck.txid(), "LOCK_TIMEOUT");
        assertThat(locks.validateAndLock(next).approved()).isTrue();
        locks.release(next.txid(), "LOCK_TIMEOUT");

        // final, but no leader could archive it before the block it names fell too far below (block rule: 32): void
        Block old = reads.block(tip.height() - MasternodeActivation.MAX_AGE_IN_BLOCK - 1).orElseThrow().block();
        Transaction dead = MasternodeActivation.sign(CHAIN, node1, old.height(), old.hash()).transaction();
        try (var c = dataSource.getConnection(); var ps = c.prepareStatement("INSERT INTO tx (txid, body, status, mn_node_key) VALUES (?, ?, 2, ?)")) {
            ps.setBytes(1, dead.txid().toByteArray());
            ps.setBytes(2, dead.toBytes());
            ps.setBytes(3, node1.publicKey().toByteArray());
            ps.executeUpdate();
        }
        assertThat(locks.validateAndLock(next).reason()).as("claimed by the final one").isEqualTo(org.timecoin.protocol.rules.RejectReason.NODE_KEY_IN_USE);
        Block block = buildAndApplyNextBlock(List.of(node1));
        assertThat(block.transactions()).extracting(Transaction::txid).doesNotContain(dead.txid());
        assertThat(txStatus(dead.txid())).isEqualTo(4);
        Block fresh = reads.block(chain.tip().orElseThrow().height()).orElseThrow().block();
        assertThat(locks.validateAndLock(MasternodeActivation.sign(CHAIN, node1, fresh.height(), fresh.hash()).transaction()).approved()).isTrue();
    }

    static FinalityCertificate certifyUnder(Transaction tx, long epoch, List<KeyPair> voters) {
        List<FinalityCertificate.VoteProof> proofs = new ArrayList<>();
        for (KeyPair k : voters) proofs.add(TxVoteBatch.sign(CHAIN, epoch, k, List.of(new VoteEntry(tx.txid(), TxVerdict.APPROVE))).proofFor(0));
        return new FinalityCertificate(CHAIN, tx.txid(), epoch, proofs);
    }

    /** A block after {@code previous} holding {@code txs} (and a reward the registration rules are checked before). */
    static Block blockAfter(Block previous, List<Transaction> txs) {
        List<Transaction> all = new ArrayList<>();
        all.add(Transaction.reward(previous.height() + 1, List.of(new TxOutput(Amount.time(1), PAYEE.keyHash()))));
        all.addAll(txs);
        var proposer = GENESIS.masternodes().get(0).nodeKey();
        return new Block(new org.timecoin.protocol.model.BlockHeader(CHAIN, previous.height() + 1, previous.hash(), Block.merkleRoot(all),
                previous.header().timestampMillis() + 1, 0, proposer.publicKey()), all);
    }

    static double refused(String reason) {
        return parked("blocks.finalized", reason);
    }

    static double orphansWaiting() {
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        return metrics.lines().filter(l -> l.startsWith("timecoin_ledger_orphans ")).mapToDouble(l -> Double.parseDouble(l.substring(l.indexOf(' ') + 1)))
                .findFirst().orElse(-1);
    }
}
