package org.timecoin.consensus;

import org.timecoin.service.NodeIdentity;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasSize;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.awaitility.Awaitility;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.timecoin.consensus.core.Action;
import org.timecoin.consensus.core.Evidence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.timecoin.protocol.codec.Hex;
import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.HashTag;
import org.timecoin.protocol.crypto.Hashes;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.Block;
import org.timecoin.protocol.model.BlockHeader;
import org.timecoin.protocol.model.ConsensusMessage;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.SignedConsensusMessage;
import org.timecoin.protocol.model.Tier;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxVerdict;
import org.timecoin.protocol.model.TxVoteBatch;
import org.timecoin.protocol.model.VoteEntry;
import org.timecoin.protocol.rules.RewardSplit;
import org.timecoin.protocol.rules.ValidatorSet;
import org.timecoin.protocol.stack.StackRecords;
import org.timecoin.infra.LocalInfraTestResource;
import org.timecoin.infra.TopicProbe;

import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The consensus service against a real Kafka broker and a real PostgreSQL. The test plays the rest of the stack and
 * the network: the ledger (applied blocks, verdicts, proposal building and checking) and the three other validators.
 * Both tests drive the one running service (one chain), so they run in order: height 1 is decided first.
 */
@QuarkusTest
@WithTestResource(value = LocalInfraTestResource.class, initArgs = {@ResourceArg(name = "database", value = "test_consensus"),
        @ResourceArg(name = "fresh", value = "true")})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsensusServiceTest {
    static final int CHAIN = 3;

    @ConfigProperty(name = "timecoin.topic.prefix")
    String prefix;
    @Inject
    DataSource dataSource;
    @Inject
    NodeIdentity identity;
    @Inject
    ConsensusStore consensusStore;

    final List<KeyPair> validators = new ArrayList<>();
    ValidatorSet set;
    TopicProbe topics;

    @BeforeEach
    void setUp() {
        List<ValidatorSet.Member> members = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            KeyPair k = Ed25519Keys.deterministic("consensus-test", "masternode", i);
            validators.add(k);
            members.add(new ValidatorSet.Member(k.publicKey(), Tier.BRONZE, k.keyHash(), OutPoint.NULL));
        }
        set = new ValidatorSet(1, members);
        topics = new TopicProbe(org.timecoin.infra.LocalInfraTestResource.kafka(), prefix, List.of("consensus.out", "proposals.requests", "blocks.finalized", "tx.finalized", "dead-letters"));
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

    static <M extends ConsensusMessage> Function<byte[], SignedConsensusMessage> outgoing(Class<M> type, long height) {
        return bytes -> StackRecords.decodePeerTraffic(bytes) instanceof StackRecords.ConsensusMsg m && type.isInstance(m.message().message())
                && m.message().message().height() == height ? m.message() : null;
    }

    void fromPeer(SignedConsensusMessage m) {
        publish("consensus.in", StackRecords.encode(new StackRecords.ConsensusMsg(m)));
    }

    KeyPair keyOf(PublicKey pk) {
        return validators.stream().filter(k -> k.publicKey().equals(pk)).findFirst().orElseThrow();
    }

    @Test
    @Order(1)
    void messagesInFinalizedBlockOut() throws Exception {
        KeyPair self = identity.key();
        assertThat(self.publicKey()).isEqualTo(validators.get(0).publicKey());
        Hash genesis = Hashes.tagged(HashTag.BLOCK, "consensus-service-test".getBytes());
        publish("blocks.applied", StackRecords.encode(new StackRecords.BlockApplied(0, genesis, 1_000, Hash.ZERO, set)));

        KeyPair leader = keyOf(set.leader(genesis, 0));
        List<Transaction> txs = List.of(Transaction.reward(1, RewardSplit.split(RewardSplit.blockReward(Amount.ZERO), set, leader.publicKey())));
        Block block = new Block(new BlockHeader(CHAIN, 1, genesis, Block.merkleRoot(txs), 2_000, 0, leader.publicKey()), txs);
        if (leader.equals(self)) { // the service leads: the "ledger" builds its block
            StackRecords.BuildRequest build = await("proposals.requests", b -> StackRecords.decodeProposalRequest(b) instanceof StackRecords.BuildRequest r ? r : null);
            assertThat(build.height()).isEqualTo(1);
            assertThat(build.proposer()).isEqualTo(self.publicKey());
            publish("proposals.responses", StackRecords.encode(new StackRecords.Built(1, 0, block, List.of())));
        } else { // another validator leads
            fromPeer(SignedConsensusMessage.sign(new ConsensusMessage.PrePrepare(CHAIN, 1, 0, leader.publicKey(), block, List.of(), List.of()), leader));
        }
        StackRecords.CheckRequest check = await("proposals.requests", b -> StackRecords.decodeProposalRequest(b) instanceof StackRecords.CheckRequest r ? r : null);
        assertThat(check.block().hash()).isEqualTo(block.hash());
        publish("proposals.responses", StackRecords.encode(new StackRecords.Checked(1, 0, block.hash(), true)));

        SignedConsensusMessage prepare = await("consensus.out", outgoing(ConsensusMessage.Prepare.class, 1));
        assertThat(((ConsensusMessage.Prepare) prepare.message()).blockHash()).isEqualTo(block.hash());
        assertThat(prepare.signatureValid()).isTrue();
        List<KeyPair> others = validators.subList(1, 3);
        for (KeyPair k : others) fromPeer(SignedConsensusMessage.sign(new ConsensusMessage.Prepare(CHAIN, 1, 0, k.publicKey(), block.hash()), k));
        SignedConsensusMessage commit = await("consensus.out", outgoing(ConsensusMessage.Commit.class, 1));
        assertThat(((ConsensusMessage.Commit) commit.message()).blockHash()).isEqualTo(block.hash());
        for (KeyPair k : others) fromPeer(SignedConsensusMessage.sign(new ConsensusMessage.Commit(CHAIN, 1, 0, k.publicKey(), block.hash()), k));

        StackRecords.FinalizedBlock fin = await("blocks.finalized", StackRecords::decodeFinalizedBlock);
        assertThat(fin.block().hash()).isEqualTo(block.hash());
        assertThat(fin.certificate().verify(CHAIN, fin.block(), set)).isEmpty();

        // What it signed was committed to PostgreSQL (its Prepare and Commit for height 1, round 0).
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT type FROM signed_message WHERE height = 1 AND round = 0 ORDER BY type")) {
            List<Integer> types = new ArrayList<>();
            while (rs.next()) types.add(rs.getInt(1));
            assertThat(types).contains(ConsensusMessage.TYPE_PREPARE, ConsensusMessage.TYPE_COMMIT);
        }
        given().get("/v1/consensus/status").then().statusCode(200).body("validators", hasSize(4)).body("height", greaterThanOrEqualTo(1))
                .body("votes.blocksFinalized", greaterThanOrEqualTo(1.0f));
        // the ledger's answer to the check was timed, and the proposal's age when it reached the core
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(metrics).containsPattern("timecoin_consensus_ledger_answer_seconds_count\\{work=\"check\",\\} [1-9]")
                .containsPattern("timecoin_consensus_proposal_age_seconds_count [1-9]")
                // every event waited in the block lane of the core's inbox (no vote batch in this test)
                .containsPattern("timecoin_consensus_queue_wait_seconds_count\\{lane=\"block\",\\} [1-9]")
                .contains("timecoin_consensus_queue_depth").contains("timecoin_consensus_timeout_step 0.0");
        // a leader's own proposal is timed from its round's start; a follower times none
        if (leader.equals(self)) assertThat(metrics).containsPattern("timecoin_consensus_leader_proposal_seconds_count\\{round=\"0\",\\} 1");
        else assertThat(metrics).doesNotContain("timecoin_consensus_leader_proposal_seconds_count");
    }

    @Test
    @Order(2)
    void votesOfValidatorsFinalizeATransactionAndOutsidersAndGarbageChangeNothing() {
        Hash genesis = Hashes.tagged(HashTag.BLOCK, "consensus-service-test".getBytes());
        publish("blocks.applied", StackRecords.encode(new StackRecords.BlockApplied(0, genesis, 1_000, Hash.ZERO, set)));
        Hash txid = Hashes.tagged(HashTag.TX, UUID.randomUUID().toString().getBytes());
        publish("tx.verdicts", StackRecords.encodeVerdicts(List.of(new StackRecords.Verdict(txid, TxVerdict.APPROVE, ""))).get(0));
        TxVoteBatch own = await("consensus.out", b -> StackRecords.decodePeerTraffic(b) instanceof StackRecords.Votes v
                && v.batch().entries().stream().anyMatch(e -> e.txid().equals(txid)) ? v.batch() : null);
        assertThat(own.signatureValid()).isTrue();
        assertThat(own.voter()).isEqualTo(identity.key().publicKey());

        publish("consensus.in", new byte[] {9, 9, 9}); // garbage: counted and parked with a reason, nothing else happens
        for (int i = 0; i < 3; i++) { // keys that are not registered masternodes
            KeyPair outsider = Ed25519Keys.deterministic("consensus-test", "outsider", i);
            publish("consensus.in", StackRecords.encode(new StackRecords.Votes(TxVoteBatch.sign(CHAIN, set.epoch(), outsider,
                    List.of(new VoteEntry(txid, TxVerdict.APPROVE))))));
        }
        for (KeyPair k : validators.subList(1, 3)) {
            publish("consensus.in", StackRecords.encode(new StackRecords.Votes(TxVoteBatch.sign(CHAIN, set.epoch(), k,
                    List.of(new VoteEntry(txid, TxVerdict.APPROVE))))));
        }
        StackRecords.Finalized fin = await("tx.finalized", b -> StackRecords.decodeTxOutcomes(b).outcomes().stream()
                .filter(o -> o instanceof StackRecords.Finalized f && f.txid().equals(txid)).map(StackRecords.Finalized.class::cast).findFirst().orElse(null));
        assertThat(fin.certificate().verify(CHAIN, set)).isEmpty();
        assertThat(fin.certificate().approvals()).extracting(a -> a.voter())
                .containsExactlyInAnyOrder(validators.get(0).publicKey(), validators.get(1).publicKey(), validators.get(2).publicKey());
        Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(given().get("/q/metrics").asString())
                .contains("timecoin_consensus_records_rejected_total{reason=\"UNKNOWN_TYPE\",topic=\"consensus.in\",}"));
        await("dead-letters", b -> java.util.Arrays.equals(b, new byte[] {9, 9, 9}) ? b : null);
    }

    /**
     * A tally that finalizes thousands of transactions at once hands every certificate on, in a few records: sent one
     * record per transaction, the emitter's buffer (SmallRye's default, 128) overflowed under load, the send threw, and
     * the rest of the event's work was lost (seen on a devnet at 100 tx/s: certificates missing, blocks stalled).
     */
    @Test
    @Order(4)
    void aTallyThatFinalizesThousandsOfTransactionsHandsThemAllOnInAFewRecords() {
        int n = 3_000;
        String run = UUID.randomUUID().toString();
        List<Hash> txids = new ArrayList<>();
        List<VoteEntry> entries = new ArrayList<>();
        List<StackRecords.Verdict> local = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Hash txid = Hashes.tagged(HashTag.TX, (run + i).getBytes());
            txids.add(txid);
            entries.add(new VoteEntry(txid, TxVerdict.APPROVE));
            local.add(new StackRecords.Verdict(txid, TxVerdict.APPROVE, ""));
        }
        List<byte[][]> verdicts = new ArrayList<>(); // as the ledger publishes them: a record per poll (up to 500 each)
        for (int from = 0; from < n; from += 500) verdicts.add(new byte[][] {null, StackRecords.encodeVerdicts(local.subList(from, from + 500)).get(0)});
        topics.publishAll("tx.verdicts", verdicts);
        for (KeyPair k : validators.subList(1, 3)) {
            publish("consensus.in", StackRecords.encode(new StackRecords.Votes(TxVoteBatch.sign(CHAIN, set.epoch(), k, entries))));
        }
        java.util.Set<Hash> wanted = new java.util.HashSet<>(txids);
        Function<byte[], List<Hash>> finalizedHere = b -> {
            List<Hash> found = StackRecords.decodeTxOutcomes(b).outcomes().stream()
                    .filter(o -> o instanceof StackRecords.Finalized && wanted.contains(o.txid())).map(StackRecords.TxOutcome::txid).toList();
            return found.isEmpty() ? null : found;
        };
        List<List<Hash>> records = new ArrayList<>();
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
            records.clear();
            records.addAll(topics.collect("tx.finalized", finalizedHere, 0, Duration.ofSeconds(5)));
            return records.stream().mapToInt(List::size).sum() >= n;
        });
        assertThat(records.stream().flatMap(List::stream).distinct().count()).isEqualTo(n);
        assertThat(records).as("records carrying them").hasSizeLessThan(n / 10);
    }

    /**
     * Two instances running with one validator key share this record: the second to sign a different message for the
     * same (height, round, type) is refused, and the first message stays the one on record.
     */
    @Test
    @Order(3)
    void aDifferentMessageForASignedSlotIsRefused() {
        KeyPair self = identity.key();
        long height = 1_000_000;
        SignedConsensusMessage first = SignedConsensusMessage.sign(
                new ConsensusMessage.Prepare(CHAIN, height, 0, self.publicKey(), Hashes.tagged(HashTag.BLOCK, "a".getBytes())), self);
        SignedConsensusMessage other = SignedConsensusMessage.sign(
                new ConsensusMessage.Prepare(CHAIN, height, 0, self.publicKey(), Hashes.tagged(HashTag.BLOCK, "b".getBytes())), self);
        consensusStore.save(new Action.PersistSigned(first, null));
        consensusStore.save(new Action.PersistSigned(first, null)); // a resend of the same message is fine
        assertThatThrownBy(() -> consensusStore.save(new Action.PersistSigned(other, null))).isInstanceOf(ConsensusStore.ConflictingSignature.class);
        assertThat(consensusStore.loadFrom(height)).extracting(r -> r.message().message()).containsExactly(first.message());
    }

    /**
     * Each blocks.applied record is kept before its offset is committed (a consensus restarted on its own starts from
     * it); a record delivered again, older than the one kept, does not replace it.
     */
    @Test
    @Order(4)
    void theLastAppliedBlockIsKeptForARestartAndAnOlderRecordDoesNotReplaceIt() {
        // order 1 announced heights from 0 on through the topic
        Awaitility.await().untilAsserted(() -> assertThat(consensusStore.lastApplied()).isPresent());
        assertThat(StackRecords.decodeBlockApplied(consensusStore.lastApplied().orElseThrow()).height()).isNotNegative();

        byte[] newer = StackRecords.encode(new StackRecords.BlockApplied(2_000_001, Hashes.tagged(HashTag.BLOCK, "newer".getBytes()), 3_000, Hash.ZERO, set));
        byte[] older = StackRecords.encode(new StackRecords.BlockApplied(2_000_000, Hashes.tagged(HashTag.BLOCK, "older".getBytes()), 2_000, Hash.ZERO, set));
        consensusStore.saveApplied(2_000_001, newer);
        consensusStore.saveApplied(2_000_000, older);
        assertThat(consensusStore.lastApplied()).hasValueSatisfying(r -> assertThat(r).isEqualTo(newer));
    }

    /**
     * A validator that changes its vote is counted once, and the evidence served carries both signed batches: checkable
     * with the offender's key alone.
     */
    @Test
    @Order(5)
    void aChangedVoteIsServedAsEvidenceThatProvesItself() {
        Hash genesis = Hashes.tagged(HashTag.BLOCK, "consensus-service-test".getBytes());
        publish("blocks.applied", StackRecords.encode(new StackRecords.BlockApplied(0, genesis, 1_000, Hash.ZERO, set)));
        KeyPair turncoat = validators.get(2);
        Hash txid = Hashes.tagged(HashTag.TX, UUID.randomUUID().toString().getBytes());
        TxVoteBatch approve = TxVoteBatch.sign(CHAIN, set.epoch(), turncoat, List.of(new VoteEntry(txid, TxVerdict.APPROVE)));
        TxVoteBatch reject = TxVoteBatch.sign(CHAIN, set.epoch(), turncoat, List.of(new VoteEntry(txid, TxVerdict.REJECT)));
        publish("consensus.in", StackRecords.encode(new StackRecords.Votes(approve)));
        publish("consensus.in", StackRecords.encode(new StackRecords.Votes(reject)));

        Map<String, String> evidence = Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> given().get("/v1/consensus/evidence").then()
                .statusCode(200).extract().jsonPath().<Map<String, String>>getList("$").stream().filter(e -> txid.hex().equals(e.get("txid"))).findFirst()
                .orElse(null), java.util.Objects::nonNull);
        assertThat(evidence).containsEntry("offender", turncoat.publicKey().hex()).containsEntry("kind", "CONFLICTING_VOTES");
        TxVoteBatch first = TxVoteBatch.decode(Hex.decode(evidence.get("first")));
        TxVoteBatch second = TxVoteBatch.decode(Hex.decode(evidence.get("second")));
        assertThat(List.of(first, second)).containsExactlyInAnyOrder(approve, reject);
        for (TxVoteBatch b : List.of(first, second)) {
            assertThat(b.signatureValid()).isTrue();
            assertThat(b.voter()).isEqualTo(turncoat.publicKey());
        }

        // kept in PostgreSQL (it outlives a restart): the same offence once, and only the latest max-evidence of them
        long kept = consensusStore.evidenceCount();
        assertThat(given().get("/v1/consensus/status").then().statusCode(200).extract().jsonPath().getLong("evidence")).isEqualTo(kept);
        consensusStore.saveEvidence(new Evidence.ConflictingVotes(txid, first, second), 1_000);
        assertThat(consensusStore.evidenceCount()).isEqualTo(kept);
        for (int i = 0; i < 3; i++) {
            Hash other = Hashes.tagged(HashTag.TX, UUID.randomUUID().toString().getBytes());
            consensusStore.saveEvidence(new Evidence.ConflictingVotes(other,
                    TxVoteBatch.sign(CHAIN, set.epoch(), turncoat, List.of(new VoteEntry(other, TxVerdict.APPROVE))),
                    TxVoteBatch.sign(CHAIN, set.epoch(), turncoat, List.of(new VoteEntry(other, TxVerdict.REJECT)))), 2);
        }
        assertThat(consensusStore.evidenceCount()).isEqualTo(2);
        assertThat(consensusStore.evidence(10)).extracting(e -> e.txid()).doesNotContain(txid).hasSize(2);
    }
}
