package org.timecoin.gateway;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;
import org.timecoin.protocol.codec.Hex;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.infra.LocalInfraTestResource;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;

/**
 * Behind an ingress (here: requests from 127.0.0.1, configured as the trusted proxy, naming clients in X-Forwarded-For):
 * each client has its own rate and its own share of finality waits, and a JSON-RPC batch costs one token per call.
 */
@QuarkusTest
@TestProfile(ClientLimitsTest.BehindAnIngress.class)
@WithTestResource(LocalInfraTestResource.class)
class ClientLimitsTest {
    public static class BehindAnIngress implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("timecoin.gateway.requests-per-second", "5", "timecoin.gateway.max-waits-per-client", "2",
                    "quarkus.http.proxy.proxy-address-forwarding", "true", "quarkus.http.proxy.allow-x-forwarded", "true",
                    "quarkus.http.proxy.trusted-proxies", "127.0.0.1");
        }
    }

    @ConfigProperty(name = "quarkus.http.test-port")
    int port;

    @ConfigProperty(name = "timecoin.topic.prefix")
    String prefix;

    static Response from(String client) {
        return given().header("X-Forwarded-For", client).get("/v1/blocks/x");
    }

    @Test
    void eachForwardedClientHasItsOwnRate() {
        int limited = 0;
        for (int i = 0; i < 30; i++) if (from("203.0.113.1").statusCode() == 429) limited++;
        assertThat(limited).as("burst of 10, then ~5/s").isGreaterThanOrEqualTo(15);
        assertThat(from("203.0.113.2").statusCode()).as("another client behind the same proxy").isEqualTo(400);
    }

    @Test
    void aJsonRpcBatchCostsOneTokenPerCall() {
        String call = "{\"jsonrpc\":\"2.0\",\"method\":\"uptime\",\"id\":1}";
        String big = "[" + String.join(",", java.util.Collections.nCopies(12, call)) + "]";
        given().header("X-Forwarded-For", "203.0.113.3").contentType(ContentType.JSON).body(big).post("/rpc").then().statusCode(429)
                .contentType("application/problem+json").header("Retry-After", "1").body("title", equalTo("RATE_LIMITED"));
        String small = "[" + String.join(",", java.util.Collections.nCopies(3, call)) + "]";
        given().header("X-Forwarded-For", "203.0.113.4").contentType(ContentType.JSON).body(small).post("/rpc").then().statusCode(200)
                .body("size()", equalTo(3));
    }

    /** A client's whole share of finality waits (2 here), held in progress, and the wait refused after them. */
    record HeldWaits(URI waitUri, List<CompletableFuture<HttpResponse<String>>> holding, HttpResponse<String> refused) {
    }

    /**
     * Holds {@code client}'s whole share of waits on a payment submitted here and never settled (no consensus in this
     * test: a wait for it lasts its timeout); returns once a further wait of that client is refused with 429, which
     * shows the held ones are in progress.
     */
    HeldWaits holdAllWaits(HttpClient http, String client, long sat) {
        Transaction tx = GatewayServiceTest.payment(sat);
        given().header("X-Forwarded-For", "203.0.113.8").contentType(ContentType.JSON).body("{\"hex\":\"" + Hex.encode(tx.toBytes()) + "\"}")
                .post("/v1/transactions").then().statusCode(202);
        URI wait = URI.create("http://127.0.0.1:" + port + "/v1/transactions/" + tx.txid().hex() + "/finality?timeoutMillis=4000");
        List<CompletableFuture<HttpResponse<String>>> holding = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            holding.add(http.sendAsync(HttpRequest.newBuilder(wait).header("X-Forwarded-For", client).build(), HttpResponse.BodyHandlers.ofString()));
        }
        java.util.concurrent.atomic.AtomicReference<HttpResponse<String>> refused = new java.util.concurrent.atomic.AtomicReference<>();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(100)).until(() -> {
            refused.set(http.send(HttpRequest.newBuilder(wait).header("X-Forwarded-For", client).build(), HttpResponse.BodyHandlers.ofString()));
            return refused.get().statusCode() == 429;
        });
        return new HeldWaits(wait, holding, refused.get());
    }

    @Test
    void aClientHoldsAtMostItsShareOfFinalityWaits() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HeldWaits held = holdAllWaits(http, "203.0.113.5", 70_000);
        // a request that started later than the two held ones is answered first
        assertThat(held.refused().headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(held.refused().body()).contains("TOO_MANY_WAITERS");
        List<CompletableFuture<HttpResponse<String>>> holding = held.holding();
        URI wait = held.waitUri();
        assertThat(holding).noneMatch(CompletableFuture::isDone);
        HttpResponse<String> other = http.send(HttpRequest.newBuilder(URI.create(wait.toString().replace("4000", "100")))
                .header("X-Forwarded-For", "203.0.113.6").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(other.statusCode()).as("another client still waits").isNotEqualTo(429);
        for (var h : holding) assertThat(h.get().statusCode()).isNotEqualTo(429);
    }

    /** A submission that asks to wait while its client holds its share of waits is refused whole: nothing is published. */
    @Test
    void aSubmissionRefusedItsWaitIsNotPublished() throws Exception {
        Transaction refused = GatewayServiceTest.payment(72_000);
        try (org.timecoin.infra.TopicProbe topics = new org.timecoin.infra.TopicProbe(LocalInfraTestResource.kafka(), prefix, List.of("tx.submitted"))) {
            HttpClient http = HttpClient.newHttpClient();
            HeldWaits held = holdAllWaits(http, "203.0.113.7", 71_000);
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/transactions?waitMillis=100"))
                    .header("X-Forwarded-For", "203.0.113.7").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"hex\":\"" + Hex.encode(refused.toBytes()) + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
            assertThat(r.body()).contains("TOO_MANY_WAITERS");
            for (var h : held.holding()) h.get();
            // once a marker published afterwards is seen, no record is the refused payment
            topics.publish("tx.submitted", new byte[] {43});
            topics.await("tx.submitted", b -> b.length == 1 && b[0] == 43 ? b : null);
            assertThat(topics.seen()).noneMatch(rec -> java.util.Arrays.equals(rec.value(), refused.toBytes()));
        }
    }
}
