package org.timecoin.gateway;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;

import java.util.List;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.timecoin.infra.LocalInfraTestResource;
import org.timecoin.infra.TopicProbe;
import org.timecoin.protocol.codec.Hex;
import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.Network;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxOutput;
import org.timecoin.protocol.stack.StackRecords;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

/**
 * The gateway on its own with a real broker: what it checks before anything reaches the stack, and what it says when
 * the stack's services are down (the full-stack behaviour is tested in the e2e module against a real devnet).
 */
@QuarkusTest
@WithTestResource(LocalInfraTestResource.class)
class GatewayServiceTest {
    static final KeyPair KEY = Ed25519Keys.deterministic("gateway-test", "wallet", 0);

    @ConfigProperty(name = "timecoin.topic.prefix")
    String prefix;
    TopicProbe topics;

    @BeforeEach
    void setUp() {
        topics = new TopicProbe(org.timecoin.infra.LocalInfraTestResource.kafka(), prefix, List.of("tx.submitted"));
    }

    @AfterEach
    void tearDown() {
        topics.close();
    }

    static Transaction payment(long sat) {
        return Transaction.transfer(List.of(new OutPoint(Hash.fromHex("11".repeat(32)), 0)),
                List.of(new TxOutput(Amount.sat(sat), KEY.keyHash()))).signed(Network.DEVNET.chainId(), List.of(KEY));
    }

    @Test
    void aValidTransactionIsAcceptedAndPublishedKeyedByTxid() {
        Transaction tx = payment(50_000);
        String hex = Hex.encode(tx.toBytes());
        given().contentType(ContentType.JSON).body("{\"hex\":\"" + hex + "\"}").post("/v1/transactions").then().statusCode(202)
                .header("Location", "/v1/transactions/" + tx.txid().hex()).body("txid", equalTo(tx.txid().hex())).body("status", equalTo("SUBMITTED"));
        // the same transaction again (a wallet retrying) is not an error; the text/plain form is accepted too
        given().contentType(ContentType.TEXT).body(hex).post("/v1/transactions").then().statusCode(202).body("txid", equalTo(tx.txid().hex()));
        List<Transaction> published = topics.collect("tx.submitted", b -> b.length > 1 && Transaction.decode(b).txid().equals(tx.txid()) ? Transaction.decode(b) : null,
                2, java.time.Duration.ofSeconds(30));
        assertThat(published).extracting(Transaction::txid).containsExactly(tx.txid(), tx.txid());
        assertThat(topics.seen().stream().filter(r -> java.util.Arrays.equals(r.value(), tx.toBytes()))).allSatisfy(r -> assertThat(r.key()).isEqualTo(tx.txid().toByteArray()));
    }

    /** With waitMillis, one request submits and answers the outcome (here a release, as consensus announces it). */
    @Test
    void aSubmissionThatWaitsIsAnsweredWithItsOutcomeInTheSameRequest() {
        Transaction tx = payment(60_000);
        java.util.concurrent.CompletableFuture<io.restassured.response.Response> answer = java.util.concurrent.CompletableFuture.supplyAsync(() ->
                given().contentType(ContentType.JSON).body("{\"hex\":\"" + Hex.encode(tx.toBytes()) + "\"}").post("/v1/transactions?waitMillis=30000"));
        topics.await("tx.submitted", b -> b.length > 1 && Transaction.decode(b).txid().equals(tx.txid()) ? tx : null);
        assertThat(answer).isNotDone(); // submitted, still waiting for its outcome
        byte[] released = StackRecords.encodeOutcomes(List.of(new StackRecords.Released(tx.txid(), "LOCK_TIMEOUT"))).get(0);
        // the gateway reads outcomes from the latest offset: repeat the (idempotent) announcement until its consumer has joined
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(25)).pollInterval(java.time.Duration.ofMillis(500)).until(() -> {
            topics.publish("tx.finalized", released);
            return answer.isDone();
        });
        io.restassured.response.Response r = answer.join();
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.header("Location")).isEqualTo("/v1/transactions/" + tx.txid().hex());
        assertThat(r.jsonPath().getString("txid")).isEqualTo(tx.txid().hex());
        assertThat(r.jsonPath().getString("status")).isEqualTo("RELEASED");
        assertThat(r.jsonPath().getString("reason")).isEqualTo("LOCK_TIMEOUT");
    }

    /** A caller's trace context travels with the submission into the stack (W3C traceparent on the Kafka record). */
    @Test
    void theCallersTraceContextGoesWithTheSubmission() {
        Transaction tx = payment(60_000);
        String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        given().header("traceparent", "00-" + traceId + "-00f067aa0ba902b7-01").contentType(ContentType.TEXT).body(Hex.encode(tx.toBytes()))
                .post("/v1/transactions").then().statusCode(202);
        topics.await("tx.submitted", b -> java.util.Arrays.equals(b, tx.toBytes()) ? b : null);
        var record = topics.seen().stream().filter(r -> java.util.Arrays.equals(r.value(), tx.toBytes())).findFirst().orElseThrow();
        assertThat(TopicProbe.header(record, "traceparent")).as("traceparent header").isNotNull().contains(traceId);
    }

    @Test
    void theJsonFormIsTheSameTransaction() {
        Transaction tx = payment(80_000);
        var in = tx.inputs().get(0);
        String json = "{\"transaction\":{\"inputs\":[{\"txid\":\"" + in.previous().txid().hex() + "\",\"index\":" + in.previous().index()
                + ",\"publicKey\":\"" + in.witness().key().hex() + "\",\"signature\":\"" + in.witness().signature().hex() + "\"}],"
                + "\"outputs\":[{\"address\":\"" + org.timecoin.protocol.model.Address.of(Network.DEVNET, KEY.keyHash()) + "\",\"amountSat\":80000}]}}";
        given().contentType(ContentType.JSON).body(json).post("/v1/transactions").then().statusCode(202).body("txid", equalTo(tx.txid().hex()));
        String mainnetOutput = json.replace(org.timecoin.protocol.model.Address.of(Network.DEVNET, KEY.keyHash()).toString(),
                org.timecoin.protocol.model.Address.of(Network.MAINNET, KEY.keyHash()).toString());
        given().contentType(ContentType.JSON).body(mainnetOutput).post("/v1/transactions").then().statusCode(400).body("title", equalTo("WRONG_NETWORK"));
        given().contentType(ContentType.JSON).body("{\"transaction\":{\"inputs\":[{}],\"outputs\":[]}}").post("/v1/transactions").then()
                .statusCode(400).body("title", equalTo("MISSING_FIELD"));
        // 80,001 sat to the same key: a different transaction whose signatures no longer match
        given().contentType(ContentType.JSON).body(json.replace("80000", "80001")).post("/v1/transactions").then().statusCode(422)
                .body("title", equalTo("BAD_SIGNATURE"));
    }

    @Test
    void badSubmissionsGetProblemDetailsAndReachNoTopic() {
        given().contentType(ContentType.JSON).body("{\"hex\":\"zz\"}").post("/v1/transactions").then().statusCode(400)
                .contentType("application/problem+json").body("title", equalTo("INVALID_HEX")).body("type", equalTo("https://timecoin.org/problems/invalid-hex"));
        given().contentType(ContentType.JSON).body("{\"hex\":\"0102\"}").post("/v1/transactions").then().statusCode(400).body("title", equalTo("TRUNCATED"));
        given().contentType(ContentType.JSON).body("{}").post("/v1/transactions").then().statusCode(400).body("title", equalTo("MISSING_TRANSACTION"));
        Transaction dust = payment(100);
        given().contentType(ContentType.JSON).body("{\"hex\":\"" + Hex.encode(dust.toBytes()) + "\"}").post("/v1/transactions").then().statusCode(422)
                .body("title", equalTo("DUST_OUTPUT"));
        byte[] forged = payment(60_000).toBytes();
        forged[forged.length - 1] ^= 1; // last byte of the witness signature
        given().contentType(ContentType.JSON).body("{\"hex\":\"" + Hex.encode(forged) + "\"}").post("/v1/transactions").then().statusCode(422)
                .body("title", equalTo("BAD_SIGNATURE"));
        given().contentType(ContentType.JSON).body("{\"hex\":\"" + "00".repeat(150_000) + "\"}").post("/v1/transactions").then().statusCode(413)
                .body("title", equalTo("BODY_TOO_LARGE"));
        given().contentType(ContentType.JSON).body("{\"hex\":\"" + "00".repeat(400_000) + "\"}").post("/v1/transactions").then().statusCode(413)
                .contentType("application/problem+json").body("title", equalTo("BODY_TOO_LARGE"));
        for (String notAnObject : java.util.List.of("[]", "\"x\"", "{\"hex\":", "{\"hex\":[1]}")) {
            given().contentType(ContentType.JSON).body(notAnObject).post("/v1/transactions").then().statusCode(400)
                    .contentType("application/problem+json").body("title", equalTo("INVALID_BODY"));
        }
        // none of them reached the stack: once a marker published afterwards is seen, no record is one of them
        topics.publish("tx.submitted", new byte[] {42});
        byte[] marker = topics.await("tx.submitted", b -> b.length == 1 ? b : null);
        assertThat(marker).containsExactly(42);
        assertThat(topics.seen()).noneMatch(r -> java.util.Arrays.equals(r.value(), dust.toBytes()) || java.util.Arrays.equals(r.value(), forged));
    }

    @Test
    void malformedIdentifiersAreRefusedBeforeAnyBackendCall() {
        given().get("/v1/transactions/xyz").then().statusCode(400).contentType("application/problem+json").body("title", equalTo("INVALID_HEX"));
        given().get("/v1/addresses/TIME0abc/balance").then().statusCode(400).body("title", equalTo("INVALID_ADDRESS"));
        String mainnet = org.timecoin.protocol.model.Address.of(Network.MAINNET, KEY.keyHash()).toString();
        given().get("/v1/addresses/" + mainnet + "/balance").then().statusCode(400).body("title", equalTo("WRONG_NETWORK"));
        given().get("/v1/blocks/latest").then().statusCode(400).body("title", equalTo("INVALID_BLOCK_ID"));
        given().get("/v1/blocks?limit=1000").then().statusCode(400).body("title", equalTo("INVALID_VALUE"));
        given().get("/v1/addresses/" + mainnet + "/transactions").then().statusCode(400).body("title", equalTo("WRONG_NETWORK"));
        String devnet = org.timecoin.protocol.model.Address.of(Network.DEVNET, KEY.keyHash()).toString();
        given().get("/v1/addresses/" + devnet + "/transactions?limit=201").then().statusCode(400).body("title", equalTo("INVALID_VALUE"));
        given().get("/v1/nothing-here").then().statusCode(404).contentType("application/problem+json");
    }

    @Test
    void aServiceThatIsDownIsA503NotAHang() {
        given().get("/v1/chain").then().statusCode(503).body("title", equalTo("SERVICE_UNAVAILABLE")).body("detail", containsString("ledger"));
        given().get("/v1/transactions/" + "ab".repeat(32)).then().statusCode(503);
    }

    @Test
    void jsonRpcErrorsFollowTheSpec() {
        given().contentType(ContentType.JSON).body("{not json").post("/rpc").then().statusCode(200).body("error.code", is(-32700));
        given().contentType(ContentType.JSON).body("{\"jsonrpc\":\"2.0\",\"method\":\"nosuch\",\"id\":7}").post("/rpc").then()
                .body("error.code", is(-32601)).body("id", is(7));
        given().contentType(ContentType.JSON).body("{\"jsonrpc\":\"2.0\",\"method\":\"getblock\",\"params\":[],\"id\":1}").post("/rpc").then()
                .body("error.code", is(-32602));
        given().contentType(ContentType.JSON).body("{\"method\":\"uptime\",\"id\":1}").post("/rpc").then().body("error.code", is(-32600));
        given().contentType(ContentType.JSON).body("[{\"jsonrpc\":\"2.0\",\"method\":\"uptime\",\"id\":1},"
                        + "{\"jsonrpc\":\"2.0\",\"method\":\"validateaddress\",\"params\":[\"TIME0abc\"],\"id\":2}]").post("/rpc").then()
                .body("[0].result", org.hamcrest.Matchers.greaterThanOrEqualTo(0)).body("[1].result.isvalid", is(false))
                .body("[1].result.error", equalTo("INVALID_ADDRESS"));
        Transaction tx = payment(70_000);
        given().contentType(ContentType.JSON).body("{\"jsonrpc\":\"2.0\",\"method\":\"sendrawtransaction\",\"params\":[\"" + Hex.encode(tx.toBytes()) + "\"],\"id\":3}")
                .post("/rpc").then().body("result", equalTo(tx.txid().hex()));
        given().contentType(ContentType.JSON).body("{\"jsonrpc\":\"2.0\",\"method\":\"sendrawtransaction\",\"params\":[\"01\"],\"id\":4}").post("/rpc").then()
                .body("error.code", is(-32000)).body("error.data.type", equalTo("TRUNCATED")).body("error.data.status", is(400));
    }

    /**
     * The contract a generated client is built from: every operation has a unique operationId, a description, and its
     * error answers as problem+json with the Problem schema (400 where it takes input, 404 where it names a resource,
     * 413 where it takes a body, 429 and 503 everywhere); the tags say what they group, and there is a server.
     */
    @Test
    void everyOperationOfTheServedContractHasAnIdADescriptionAndItsProblemAnswers() throws Exception {
        // the same document is stored at build in target/openapi/ (for the generated client and for linters)
        com.fasterxml.jackson.databind.JsonNode doc = new com.fasterxml.jackson.databind.ObjectMapper().readTree(given().get("/q/openapi?format=json").asString());
        assertThat(doc.path("servers").size()).as("servers").isPositive();
        assertThat(doc.path("components").path("schemas").path("Problem").path("properties").has("title")).isTrue();
        doc.path("tags").forEach(t -> assertThat(t.path("description").asText()).as("tag %s", t.path("name")).isNotBlank());
        java.util.Set<String> ids = new java.util.HashSet<>();
        int operations = 0;
        for (var path : (Iterable<java.util.Map.Entry<String, com.fasterxml.jackson.databind.JsonNode>>) doc.path("paths")::fields) {
            for (var op : (Iterable<java.util.Map.Entry<String, com.fasterxml.jackson.databind.JsonNode>>) path.getValue()::fields) {
                String where = op.getKey() + " " + path.getKey();
                com.fasterxml.jackson.databind.JsonNode o = op.getValue();
                operations++;
                assertThat(ids.add(o.path("operationId").asText())).as("a unique operationId on %s", where).isTrue();
                assertThat(o.path("operationId").asText()).as("operationId of %s", where).isNotBlank();
                assertThat(o.path("description").asText()).as("description of %s", where).isNotBlank();
                assertThat(o.has("security")).as("security (none needed) said on %s", where).isTrue();
                java.util.List<String> problems = new java.util.ArrayList<>();
                for (var r : (Iterable<java.util.Map.Entry<String, com.fasterxml.jackson.databind.JsonNode>>) o.path("responses")::fields) {
                    if (r.getKey().matches("[45]\\d\\d")) {
                        assertThat(r.getValue().path("content").path("application/problem+json").path("schema").path("$ref").asText())
                                .as("%s answers %s as a Problem", where, r.getKey()).isEqualTo("#/components/schemas/Problem");
                        problems.add(r.getKey());
                    }
                }
                assertThat(problems).as("problem answers of %s", where).contains("429", "503");
                if (o.has("requestBody")) assertThat(problems).as("problem answers of %s", where).contains("400", "413");
                if (path.getKey().contains("{")) assertThat(problems).as("problem answers of %s", where).contains("400", "404");
            }
        }
        assertThat(operations).as("%s", ids).isGreaterThanOrEqualTo(16); // the JSON and the text submission share one operation
        assertThat(ids).contains("submitTransaction", "waitForFinality", "getBalance", "jsonRpc");
    }

    /**
     * A scrape without an Accept header (curl, promtool, most agents) gets the text format, whose lines carry no
     * exemplars and parse whole; one that asks for OpenMetrics alone gets OpenMetrics (with exemplars).
     */
    @Test
    void metricsAreTheTextFormatUnlessOpenMetricsIsAskedFor() {
        for (int i = 0; i < 3; i++) given().get("/v1/addresses/not-an-address/validation"); // traced requests: exemplars to show
        var text = given().get("/q/metrics").then().statusCode(200).extract();
        assertThat(text.contentType()).startsWith("text/plain").contains("version=0.0.4");
        assertThat(org.timecoin.infra.PrometheusTextFormat.violations(text.asString())).isEmpty();
        assertThat(given().header("Accept", "*/*").get("/q/metrics").contentType()).startsWith("text/plain");
        var open = given().header("Accept", "application/openmetrics-text").get("/q/metrics");
        assertThat(open.contentType()).as("%d", open.statusCode()).startsWith("application/openmetrics-text");
        assertThat(open.asString().strip()).endsWith("# EOF");
        // what Prometheus sends: the registry picks the text format from it
        assertThat(given().header("Accept", "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
                + "text/plain;version=0.0.4;q=0.5,*/*;q=0.1").get("/q/metrics").contentType()).startsWith("text/plain");
    }

    @Test
    void openApiSwaggerAndExplorerAreServed() {
        given().get("/q/openapi?format=json").then().statusCode(200).body("paths", org.hamcrest.Matchers.hasKey("/v1/transactions/{txid}/finality"));
        given().get("/q/swagger-ui/").then().statusCode(200);
        given().get("/").then().statusCode(200).body(containsString("TimeCoin"));
        given().get("/explorer.js").then().statusCode(200).body(containsString("/v1/events"));
        // CORS for browser wallets on other origins
        given().header("Origin", "https://wallet.example").get("/v1/blocks/x").then().header("Access-Control-Allow-Origin", org.hamcrest.Matchers.notNullValue());
    }
}
