package org.timecoin.gateway;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.awaitility.Awaitility;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;
import org.timecoin.infra.LocalInfraTestResource;
import org.timecoin.infra.TopicProbe;
import org.timecoin.protocol.codec.Hex;
import org.timecoin.protocol.model.Transaction;

import com.sun.net.httpserver.HttpServer;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;

/**
 * A node whose mempool is full refuses submissions at the edge: 503 MEMPOOL_FULL with Retry-After, nothing published.
 * The ledger's mempool reading comes from a stand-in for the ledger's REST endpoint (this test is the gateway on its
 * own; the ledger's side of the bound is tested in the ledger), whose pending count the test sets.
 */
@QuarkusTest
@TestProfile(MempoolFullTest.LedgerReading.class)
@WithTestResource(LocalInfraTestResource.class)
class MempoolFullTest {
    static final AtomicLong PENDING = new AtomicLong(10);
    static final long MAX_PENDING = 10;
    static final AtomicLong LAST_SERVED = new AtomicLong(-1);
    static HttpServer ledger;

    public static class LedgerReading implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                ledger = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            ledger.createContext("/v1/ledger/mempool", x -> {
                long pending = PENDING.get();
                LAST_SERVED.set(pending);
                byte[] body = ("{\"pending\":" + pending + ",\"finalNotInBlock\":0,\"maxPending\":" + MAX_PENDING + "}").getBytes(StandardCharsets.UTF_8);
                x.getResponseHeaders().add("Content-Type", "application/json");
                x.sendResponseHeaders(200, body.length);
                x.getResponseBody().write(body);
                x.close();
            });
            ledger.start();
            return Map.of("timecoin.gateway.ledger-url", "http://127.0.0.1:" + ledger.getAddress().getPort(), "timecoin.gateway.mempool-refresh-millis", "100");
        }
    }

    @ConfigProperty(name = "timecoin.topic.prefix")
    String prefix;

    @Test
    void aFullMempoolRefusesSubmissionsWith503AndRetryAfterAndPublishesNothingThenRoomLetsThemIn() {
        // the first submission asks for the first reading (and is admitted: nothing is known yet); once it has come,
        // submissions are refused
        Transaction primer = GatewayServiceTest.payment(60_000);
        Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() -> given().contentType(ContentType.TEXT).body(Hex.encode(primer.toBytes()))
                .post("/v1/transactions").statusCode() == 503);
        Transaction refused = GatewayServiceTest.payment(70_000);
        given().contentType(ContentType.TEXT).body(Hex.encode(refused.toBytes())).post("/v1/transactions").then().statusCode(503)
                .contentType("application/problem+json").header("Retry-After", "1").body("title", equalTo("MEMPOOL_FULL"));
        // shed before the signature checks: even a forged one is refused for the full mempool, not checked
        byte[] forged = refused.toBytes().clone();
        forged[forged.length - 1] ^= 1;
        given().contentType(ContentType.TEXT).body(Hex.encode(forged)).post("/v1/transactions").then().statusCode(503).body("title", equalTo("MEMPOOL_FULL"));
        PENDING.set(6); // four became final: still full at this edge, which fills only half the bound (the default share)
        Transaction held = GatewayServiceTest.payment(75_000);
        java.util.concurrent.Callable<Integer> submitHeld = () -> given().contentType(ContentType.TEXT).body(Hex.encode(held.toBytes())).post("/v1/transactions").statusCode();
        Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() -> submitHeld.call() == 503 && LAST_SERVED.get() == 6);
        // refused over several readings of 6 (one per 100 ms), not only until the first one is taken in
        Awaitility.await().during(java.time.Duration.ofSeconds(1)).atMost(java.time.Duration.ofSeconds(5)).until(() -> submitHeld.call() == 503);
        PENDING.set(4); // two more
        Transaction admitted = GatewayServiceTest.payment(80_000);
        Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() -> given().contentType(ContentType.TEXT).body(Hex.encode(admitted.toBytes()))
                .post("/v1/transactions").statusCode() == 202);
        try (TopicProbe topics = new TopicProbe(org.timecoin.infra.LocalInfraTestResource.kafka(), prefix, List.of("tx.submitted"))) {
            topics.await("tx.submitted", b -> b.length > 1 && Transaction.decode(b).txid().equals(admitted.txid()) ? Boolean.TRUE : null);
            assertThat(topics.seen()).noneMatch(r -> java.util.Arrays.equals(r.value(), refused.toBytes()) || java.util.Arrays.equals(r.value(), held.toBytes()));
        }
        ledger.stop(0);
    }
}
