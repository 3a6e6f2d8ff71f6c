package org.timecoin.p2p;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;

import java.time.Duration;
import java.util.List;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.timecoin.infra.LocalInfraTestResource;
import org.timecoin.infra.TopicProbe;
import org.timecoin.p2p.net.RawPeer;
import org.timecoin.p2p.net.TestChain;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.model.ConsensusMessage;
import org.timecoin.protocol.model.SignedConsensusMessage;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.stack.StackRecords;
import org.timecoin.protocol.wire.WireMessage;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;

/** The service against a real broker and PostgreSQL: peers ⇄ this stack's topics. */
@QuarkusTest
@WithTestResource(value = LocalInfraTestResource.class, initArgs = @ResourceArg(name = "database", value = "test_p2p"))
class P2pServiceTest {
    static final Duration WAIT = Duration.ofSeconds(30);

    @ConfigProperty(name = "timecoin.topic.prefix")
    String prefix;

    TopicProbe topics;

    @BeforeEach
    void setUp() {
        topics = new TopicProbe(org.timecoin.infra.LocalInfraTestResource.kafka(), prefix, List.of("consensus.in", "tx.submitted", "dead-letters"));
        topics.publish("blocks.applied", StackRecords.encode(new StackRecords.BlockApplied(0, TestChain.GENESIS.hash(),
                TestChain.GENESIS.block().header().timestampMillis(), Hash.ZERO, TestChain.GENESIS.validatorSet())));
    }

    @AfterEach
    void tearDown() {
        topics.close();
    }

    static SignedConsensusMessage prepare(KeyPair signer) {
        return SignedConsensusMessage.sign(new ConsensusMessage.Prepare(TestChain.GENESIS.chainId(), 1, 0, signer.publicKey(), Hash.ZERO), signer);
    }

    @Test
    void bridgesPeersAndTopicsBothWays() throws Exception {
        int port = given().get("/v1/p2p/peers").then().statusCode(200)
                .body("nodeKey", equalTo(TestChain.nodeKey(0).publicKey().hex())).extract().path("port");
        try (RawPeer peer = RawPeer.handshaken(port, TestChain.nodeKey(1))) {
            await().atMost(WAIT).until(peer::ready);
            // the validator set arrives over blocks.applied: until then a masternode is not recognised as one
            await().atMost(WAIT).untilAsserted(() -> given().get("/v1/p2p/peers").then().body("peers", hasSize(1))
                    .body("peers[0].authenticated", equalTo(true)).body("peers[0].masternode", equalTo(true))
                    .body("lastSeen", org.hamcrest.Matchers.hasKey(TestChain.nodeKey(1).publicKey().hex())));

            // peer → consensus.in
            SignedConsensusMessage fromPeer = prepare(TestChain.nodeKey(2));
            peer.send(new WireMessage.Consensus(fromPeer));
            StackRecords.PeerTraffic in = topics.await("consensus.in", b -> StackRecords.decodePeerTraffic(b));
            assertThat(in).isEqualTo(new StackRecords.ConsensusMsg(fromPeer));

            // peer → tx.submitted
            Transaction tx = TestChain.GENESIS.block().transactions().get(1);
            peer.send(new WireMessage.Txs(List.of(tx)));
            Transaction relayed = topics.await("tx.submitted", b -> Transaction.decode(b).txid().equals(tx.txid()) ? Transaction.decode(b) : null);
            assertThat(relayed.toBytes()).isEqualTo(tx.toBytes());
            // marked as a peer's, so that this service's own relay path skips it undecoded (it is relayed already)
            var record = topics.seen().stream().filter(r -> r.topic().endsWith("tx.submitted") && java.util.Arrays.equals(r.value(), tx.toBytes())).findFirst().orElseThrow();
            assertThat(org.timecoin.infra.TopicProbe.header(record, "timecoin-from-peers")).isNotNull();

            // consensus.out → peer
            SignedConsensusMessage ours = prepare(TestChain.nodeKey(0));
            topics.publish("consensus.out", StackRecords.encode(new StackRecords.ConsensusMsg(ours)));
            await().atMost(WAIT).until(() -> peer.received.contains(new WireMessage.Consensus(ours)));

            // a transaction submitted through this stack (gateway) → peer; the one the peer sent is not echoed back
            Transaction local = TestChain.GENESIS.block().transactions().get(2);
            topics.publish("tx.submitted", local.toBytes());
            await().atMost(WAIT).until(() -> relayedTo(peer).contains(local));
            assertThat(relayedTo(peer)).doesNotContain(tx);

            String metrics = given().get("/q/metrics").asString();
            assertThat(metrics).contains("timecoin_p2p_peers_masternodes 1.0");
            assertThat(metrics).containsPattern("timecoin_p2p_messages_received_total\\{type=\"Consensus\",\\} [1-9]");
        }
    }

    /** Every transaction the peer has received in Txs frames so far. */
    static List<Transaction> relayedTo(RawPeer peer) {
        return peer.received.stream().filter(m -> m instanceof WireMessage.Txs).flatMap(m -> ((WireMessage.Txs) m).transactions().stream()).toList();
    }

    @Test
    void malformedRecordsAreCountedAndParkedNotFatal() {
        byte[] garbage = {9, 9, 9};
        topics.publish("consensus.out", garbage);
        await().atMost(WAIT).untilAsserted(() -> assertThat(given().get("/q/metrics").asString())
                .containsPattern("timecoin_p2p_records_rejected_total\\{reason=\"UNKNOWN_TYPE\",topic=\"consensus.out\",\\} 1"));
        topics.await("dead-letters", b -> java.util.Arrays.equals(b, garbage) ? b : null);
        var parked = topics.seen().stream().filter(r -> r.topic().equals(prefix + "dead-letters")).findFirst().orElseThrow();
        assertThat(new String(parked.headers().lastHeader(org.timecoin.service.RecordRejections.REASON_HEADER).value())).isEqualTo("UNKNOWN_TYPE");
        assertThat(new String(parked.headers().lastHeader(org.timecoin.service.RecordRejections.SOURCE_TOPIC_HEADER).value())).isEqualTo("consensus.out");
        given().get("/q/health/ready").then().statusCode(200);
    }
}
