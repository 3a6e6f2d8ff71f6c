package org.timecoin.e2e;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;
import static org.timecoin.e2e.SharedDevnet.NODES;
import static org.timecoin.e2e.SharedDevnet.gateway;
import static org.timecoin.e2e.SharedDevnet.status;
import static org.timecoin.e2e.SharedDevnet.submit;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.model.Address;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.Network;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.infra.Devnet;
import org.timecoin.wallet.TimecoinCli;

import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;

/** Transactions through a real 4-node devnet: finality everywhere, one block everywhere, no double spend. */
@Order(1)
class TransactionFlowIT {
    static final Duration FINALITY = Duration.ofSeconds(30);
    static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    static final KeyPair BOB = Ed25519Keys.deterministic("e2e", "bob", 0);
    static final KeyPair CAROL = Ed25519Keys.deterministic("e2e", "carol", 0);

    @BeforeAll
    static void devnet() {
        SharedDevnet.get();
    }

    @Test
    void aTransactionSubmittedAtOneNodeIsFinalOnAllThenInTheSameBlockEverywhere() {
        Transaction tx = SharedDevnet.payFromGenesis(1, BOB.keyHash(), Amount.time(100));
        submit(0, tx);
        await().atMost(FINALITY).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            for (int i = 0; i < NODES; i++) assertThat(status(i, tx.txid())).as("node %d", i).isIn("FINAL", "CONFIRMED");
        });
        await().atMost(FINALITY).untilAsserted(() -> {
            for (int i = 0; i < NODES; i++) assertThat(status(i, tx.txid())).as("node %d", i).isEqualTo("CONFIRMED");
        });
        long height = given().baseUri(gateway(0)).get("/v1/transactions/" + tx.txid().hex()).jsonPath().getLong("blockHeight");
        String hash = given().baseUri(gateway(0)).get("/v1/blocks/" + height).then().statusCode(200)
                .body("transactions", hasItem(tx.txid().hex())).extract().path("hash");
        // a block's size is the same in its view (the explorer's live rows) and in the block list
        int bytes = given().baseUri(gateway(0)).get("/v1/blocks/" + height).then().extract().path("bytes");
        given().baseUri(gateway(0)).get("/v1/blocks?before=" + (height + 1) + "&limit=1").then().statusCode(200)
                .body("[0].height", is((int) height)).body("[0].bytes", is(bytes));
        assertThat(bytes).isGreaterThan(tx.toBytes().length);
        for (int i = 1; i < NODES; i++) {
            given().baseUri(gateway(i)).get("/v1/transactions/" + tx.txid().hex()).then().body("blockHeight", is((int) height));
            given().baseUri(gateway(i)).get("/v1/blocks/" + height).then().body("hash", equalTo(hash));
        }
        String bob = Address.of(Network.DEVNET, BOB.keyHash()).toString();
        for (int i = 0; i < NODES; i++) {
            given().baseUri(gateway(i)).get("/v1/addresses/" + bob + "/balance").then().body("confirmedSat", equalTo(Amount.time(100).sat()));
            // every node's history of the address has it at the same height
            String entry = "transactions.find { it.txid == '" + tx.txid().hex() + "' }";
            given().baseUri(gateway(i)).get("/v1/addresses/" + bob + "/transactions").then().statusCode(200)
                    .body(entry + ".status", equalTo("CONFIRMED")).body(entry + ".blockHeight", is((int) height))
                    .body(entry + ".receivedSat", equalTo(Amount.time(100).sat())).body(entry + ".sentSat", is(0));
        }
    }

    @Test
    void allNodesAgreeOnTheUtxoSetAndTheSupplyAtEveryHeightSeen() {
        SharedDevnet.agreeing(List.of(0, 1, 2, 3), 3, Duration.ofSeconds(60));
    }

    @Test
    void ofADoubleSpendSubmittedToTwoNodesAtOnceAtMostOneIsEverFinal() {
        Transaction toBob = SharedDevnet.payFromGenesis(2, BOB.keyHash(), Amount.time(10));
        Transaction toCarol = SharedDevnet.payFromGenesis(2, CAROL.keyHash(), Amount.time(10));
        assertThat(toBob.txid()).isNotEqualTo(toCarol.txid());
        CompletableFuture.allOf(CompletableFuture.runAsync(() -> submit(1, toBob)), CompletableFuture.runAsync(() -> submit(2, toCarol))).join();
        List<Integer> all = List.of(0, 1, 2, 3);
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> SharedDevnet.settledWithOneWinnerAtMost(all, toBob, toCarol));
        for (int i = 0; i < NODES; i++) {
            assertThat(SharedDevnet.isFinal(i, toBob) && SharedDevnet.isFinal(i, toCarol)).as("node %d finalized both", i).isFalse();
        }
    }

    @Test
    void theGatewayApiAgainstTheRealStack() throws Exception {
        Transaction tx = SharedDevnet.payFromGenesis(4, CAROL.keyHash(), Amount.time(7));
        submit(3, tx);
        // long-poll: answers when final, with the certificate
        JsonPath fin = given().baseUri(gateway(3)).get("/v1/transactions/" + tx.txid().hex() + "/finality?timeoutMillis=20000").then()
                .statusCode(200).extract().jsonPath();
        assertThat(fin.getString("status")).isIn("FINAL", "CONFIRMED");
        assertThat(fin.getString("finalityCertificate")).isNotBlank();
        assertThat(fin.getLong("waitedMillis")).isLessThan(20_000);
        String carol = Address.of(Network.DEVNET, CAROL.keyHash()).toString();
        // keyset paging: one output per page, the cursor leads on
        await().atMost(FINALITY).untilAsserted(() -> given().baseUri(gateway(3)).get("/v1/addresses/" + carol + "/utxos?limit=1").then()
                .body("utxos.size()", is(1)));
        String funded4 = Address.of(Network.DEVNET, SharedDevnet.genesis().fundedKeys().get(4).keyHash()).toString();
        given().baseUri(gateway(0)).get("/v1/addresses/" + funded4 + "/utxos?limit=1000").then().statusCode(200);
        given().baseUri(gateway(0)).get("/v1/transactions/" + "ab".repeat(32)).then().statusCode(404).contentType("application/problem+json")
                .body("title", equalTo("UNKNOWN_TRANSACTION"));
        given().baseUri(gateway(0)).get("/v1/blocks/99999999").then().statusCode(404).body("title", equalTo("UNKNOWN_BLOCK"));

        JsonPath block1 = given().baseUri(gateway(1)).get("/v1/blocks/1").then().statusCode(200).extract().jsonPath();
        given().baseUri(gateway(2)).get("/v1/blocks/" + block1.getString("hash")).then().body("height", is(1))
                .body("commitCertificate.signers.size()", org.hamcrest.Matchers.greaterThanOrEqualTo(3));
        given().baseUri(gateway(0)).get("/v1/blocks?limit=3").then().body("size()", is(3));
        given().baseUri(gateway(0)).get("/v1/masternodes").then().body("size()", is(NODES)).body("status", hasItem("this node"))
                .body("findAll { it.status == 'connected' }.size()", is(NODES - 1))
                .body("findAll { it.status == 'connected' }.lastSeen", org.hamcrest.Matchers.everyItem(org.hamcrest.Matchers.startsWith("20")));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> given().baseUri(gateway(2)).get("/v1/node").then().body("state", equalTo("synced"))
                .body("peers", is(NODES - 1)));
        given().baseUri(gateway(0)).get("/v1/mempool").then().statusCode(200);

        // JSON-RPC, the original method names
        rpc(0, "getblockcount", "[]").body("result", org.hamcrest.Matchers.greaterThan(0));
        rpc(0, "getblock", "[1]").body("result.hash", equalTo(block1.getString("hash")));
        rpc(0, "getrawtransaction", "[\"" + tx.txid().hex() + "\"]").body("result.transaction", equalTo(org.timecoin.protocol.codec.Hex.encode(tx.toBytes())));
        rpc(0, "gettransactionfinality", "[\"" + tx.txid().hex() + "\"]").body("result.status", org.hamcrest.Matchers.oneOf("FINAL", "CONFIRMED"));
        rpc(0, "masternodelist", "[]").body("result.size()", is(NODES));
        rpc(0, "getpeerinfo", "[]").body("result.peers.size()", is(NODES - 1));
        rpc(0, "getbalance", "[\"" + carol + "\"]").body("result.address", equalTo(carol));
        rpc(0, "getconsensusinfo", "[]").body("result.totalVotingWeight", is(NODES));
        rpc(0, "getmempoolinfo", "[]").body("result.pending", org.hamcrest.Matchers.greaterThanOrEqualTo(0));
        rpc(0, "getblockchaininfo", "[]").body("result.network", equalTo("devnet"));
        rpc(0, "validateaddress", "[\"" + carol + "\"]").body("result.isvalid", is(true));
        rpc(0, "listunspent", "[\"" + carol + "\"]").body("result.utxos.size()", org.hamcrest.Matchers.greaterThan(0));
        rpc(0, "getaddresstransactions", "[\"" + carol + "\", null, 1]").body("result.transactions.size()", is(1))
                .body("result.next", org.hamcrest.Matchers.matchesPattern("(final|\\d+):[0-9a-f]{64}"));
        rpc(0, "uptime", "[]").body("result", org.hamcrest.Matchers.greaterThanOrEqualTo(0));

        // Server-Sent Events: a block arrives within a few seconds (after any finality events: the stream has both)
        var connection = URI.create(gateway(1) + "/v1/events").toURL().openConnection();
        connection.setReadTimeout(15_000);
        try (BufferedReader r = new BufferedReader(new InputStreamReader(connection.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            do {
                line = r.readLine();
                if (line != null && line.startsWith("data:")) assertThat(line).containsAnyOf("\"type\":\"block\"", "\"type\":\"finality\"");
            } while (line != null && !(line.startsWith("data:") && line.contains("\"type\":\"block\"")));
            assertThat(line).as("a block event before the stream ended").isNotNull();
        }
    }

    private static io.restassured.response.ValidatableResponse rpc(int node, String method, String params) {
        return given().baseUri(gateway(node)).contentType(ContentType.JSON)
                .body("{\"jsonrpc\":\"2.0\",\"method\":\"" + method + "\",\"params\":" + params + ",\"id\":1}").post("/rpc").then().statusCode(200)
                .body("error", org.hamcrest.Matchers.nullValue());
    }

    @Test
    void theWalletCliSendsBetweenTwoKeystoresAndSeesFinality(@TempDir Path dir) throws Exception {
        Path alice = dir.resolve("alice.json");
        Path bob = dir.resolve("bob.json");
        Path pass = dir.resolve("pass");
        Files.writeString(pass, "e2e passphrase");
        String seed = SharedDevnet.genesis().seed();
        assertThat(cli(alice, pass, 0, "keys", "import", "--name", "alice", "--devnet-funded", "3", "--devnet-seed", seed).code).isZero();
        Result created = cli(bob, pass, 0, "--json", "keys", "new", "--name", "bob");
        String bobAddress = JSON.readTree(created.out).path("address").asText();
        Result sent = cli(alice, pass, 2, "--json", "send", "--from", "alice", "--to", bobAddress, "--amount", "5.25");
        assertThat(sent.code).as(sent.out).isZero();
        var json = JSON.readTree(sent.out);
        assertThat(json.path("status").asText()).isIn("FINAL", "CONFIRMED");
        System.out.println("E2E cli send final in " + json.path("elapsedMillis").asLong() + " ms");
        await().atMost(FINALITY).untilAsserted(() -> {
            Result balance = cli(bob, pass, 3, "--json", "balance", "--name", "bob");
            var b = JSON.readTree(balance.out);
            assertThat(b.path("confirmedSat").asLong() + b.path("pendingSat").asLong()).isEqualTo(Amount.parseTime("5.25").sat());
        });
        Result history = cli(bob, pass, 3, "--json", "history", "--name", "bob");
        assertThat(history.code).as(history.out).isZero();
        var entries = JSON.readTree(history.out).path("transactions");
        assertThat(entries).hasSize(1);
        assertThat(entries.get(0).path("txid").asText()).isEqualTo(json.path("txid").asText());
        assertThat(entries.get(0).path("receivedSat").asLong()).isEqualTo(Amount.parseTime("5.25").sat());
        // spending more than the keystore holds: exit code 7, nothing submitted
        assertThat(cli(bob, pass, 0, "send", "--from", "bob", "--to", bobAddress, "--amount", "1000").code).isEqualTo(TimecoinCli.FUNDS);
    }

    /**
     * The load generator at a gentle rate: every payment it offers becomes final, including lanes that spend an output
     * right after the gateway said its transaction was final (read-your-writes through one gateway).
     */
    @Test
    void theLoadGeneratorFinalizesWhatItOffers(@TempDir Path dir) throws Exception {
        Path pass = dir.resolve("pass");
        Files.writeString(pass, "x");
        List<String> args = List.of("--json", "load", "--gateways", gateway(0) + "," + gateway(1) + "," + gateway(2) + "," + gateway(3), "--rate", "5",
                "--duration-seconds", "8", "--lanes", "20", "--devnet-funded", "8", "--devnet-seed", SharedDevnet.genesis().seed(), "--devnet-dir",
                SharedDevnet.get().dir().toString(), "--sample-seconds", "1");
        Result r = cli(dir.resolve("unused.json"), pass, 0, args.toArray(String[]::new));
        assertThat(r.code()).as(r.out()).isZero();
        String json = r.out().substring(r.out().lastIndexOf("{\"offeredPerSecond\""));
        System.out.println("E2E load " + json);
        var report = JSON.readTree(json);
        assertThat(report.path("offered").asLong()).isGreaterThanOrEqualTo(20);
        assertThat(report.path("failed").asLong()).isZero();
        assertThat(report.path("finalized").asLong()).isEqualTo(report.path("offered").asLong());
        // memory and CPU of every service of the devnet, over time: heap from its metrics, RSS and CPU time from /proc by
        // the pid the devnet recorded; the machine's CPU time covers them all
        assertThat(report.path("services")).hasSize(SharedDevnet.NODES * Devnet.SERVICES.size());
        double services = 0;
        for (var service : report.path("services")) {
            assertThat(service.path("heapLastBytes").asLong()).as(service.toString()).isPositive();
            assertThat(service.path("rssLastBytes").asLong()).as(service.toString()).isGreaterThan(service.path("heapLastBytes").asLong());
            assertThat(service.path("rssMiB").size()).as("samples over the run").isGreaterThanOrEqualTo(4);
            assertThat(service.path("cpuSeconds").asDouble()).as(service.toString()).isPositive();
            services += service.path("cpuSeconds").asDouble();
        }
        assertThat(report.path("machineCpuSeconds").asDouble()).isGreaterThan(services);
        // after the load every service's metrics carry exemplars in OpenMetrics; scraped as most tools do (no Accept
        // header), each answers the text format that a 0.0.4 parser (promtool's) takes whole
        for (int node = 0; node < SharedDevnet.NODES; node++) {
            for (String service : Devnet.SERVICES) {
                var scrape = given().get(SharedDevnet.get().url(service, node) + "/q/metrics").then().statusCode(200).extract();
                assertThat(scrape.contentType()).as("node %d %s", node, service).startsWith("text/plain");
                assertThat(org.timecoin.infra.PrometheusTextFormat.violations(scrape.asString())).as("node %d %s", node, service).isEmpty();
            }
        }
    }

    /**
     * The contract proved by a client generated from it (openapi-generator at build, from the document the gateway
     * serves): it pays and waits for finality in one call, reads the status, and gets a problem's code from an error.
     */
    @Test
    void aClientGeneratedFromTheServedContractPaysAndSeesFinality() throws Exception {
        org.timecoin.client.ApiClient client = new org.timecoin.client.ApiClient();
        client.updateBaseUri(gateway(1));
        var transactions = new org.timecoin.client.api.TransactionsApi(client);
        // key 8 pays: the other tests spend it only through its listed outputs (the load test), never its genesis coin
        org.timecoin.protocol.crypto.KeyHash payee = org.timecoin.protocol.crypto.Ed25519Keys.deterministic("e2e", "generated-client", 1).keyHash();
        Transaction tx = SharedDevnet.payLargestUnspent(SharedDevnet.genesis().fundedKeys().get(8), payee, Amount.time(5));
        // the generator takes the operation's first media type: the hex as text/plain
        var answer = transactions.submitTransaction(org.timecoin.protocol.codec.Hex.encode(tx.toBytes()), 20_000L);
        assertThat(answer.get("status")).as("%s", answer).isEqualTo("FINAL");
        assertThat(transactions.getTransaction(tx.txid().hex()).get("status")).isIn("FINAL", "CONFIRMED");
        var refused = org.assertj.core.api.Assertions.catchThrowableOfType(org.timecoin.client.ApiException.class,
                () -> transactions.getTransaction("not-a-txid"));
        assertThat(refused.getCode()).isEqualTo(400);
        assertThat(JSON.readTree(refused.getResponseBody()).path("title").asText()).isNotBlank();
    }

    public record Result(int code, String out) {
    }

    static Result cli(Path keystore, Path pass, int node, String... args) {
        List<String> all = new ArrayList<>(List.of("--keystore", keystore.toString(), "--passphrase-file", pass.toString(), "--gateway", gateway(node)));
        all.addAll(List.of(args));
        var out = new java.io.StringWriter();
        var cmd = new picocli.CommandLine(new TimecoinCli().withOutput(new java.io.PrintWriter(out, true)));
        return new Result(cmd.execute(all.toArray(String[]::new)), out.toString());
    }

    /** The page's DOM once headless Chromium has run its scripts (within the flags' virtual time budget). */
    static String renderedDom(List<String> flags, String url) throws Exception {
        List<String> dump = new ArrayList<>(flags);
        dump.addAll(List.of("--dump-dom", url));
        Path domFile = Files.createTempFile("explorer", ".html");
        Process p = new ProcessBuilder(dump).redirectError(ProcessBuilder.Redirect.DISCARD).redirectOutput(domFile.toFile()).start();
        boolean done = p.waitFor(60, TimeUnit.SECONDS);
        if (!done) p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        assertThat(done).as("chromium rendered %s within 60 s", url).isTrue();
        return Files.readString(domFile);
    }

    /** The explorer page in headless Chromium (Debian's package): it shows the chain height the API reports. */
    @Test
    void theExplorerShowsTheRealChain() throws Exception {
        Path chromium = Path.of(System.getProperty("timecoin.chromium", "/usr/bin/chromium"));
        // .ci/run installs Debian's chromium; a machine without it reports this test as skipped (never as passed)
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(chromium), "no " + chromium + ": apt-get install chromium");
        Path out = Path.of(System.getProperty("timecoin.e2e.dir", "target/devnet")).resolve("explorer.png");
        Path profile = Files.createTempDirectory("chromium-profile");
        List<String> flags = List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile,
                "--virtual-time-budget=3000", "--window-size=1280,900");
        long before = SharedDevnet.height(0);
        String dom = renderedDom(flags, gateway(0) + "/");
        long after = SharedDevnet.height(0);
        var m = java.util.regex.Pattern.compile("id=\"height\">(\\d+)<").matcher(dom);
        assertThat(m.find()).as("rendered height in %s", dom.length() > 2000 ? dom.substring(0, 2000) : dom).isTrue();
        assertThat(Long.parseLong(m.group(1))).isBetween(before, after + 1);
        assertThat(dom).contains("devnet").contains("BRONZE"); // the masternode table was filled from the API
        // a lookup linked by the page's fragment: an address's balance and latest transactions
        String funded = Address.of(Network.DEVNET, SharedDevnet.genesis().fundedKeys().get(0).keyHash()).toString();
        String latest = given().baseUri(gateway(0)).get("/v1/addresses/" + funded + "/transactions?limit=1").then().statusCode(200)
                .extract().path("transactions[0].txid");
        assertThat(renderedDom(flags, gateway(0) + "/#" + funded)).contains("recentTransactions").contains(latest).contains("confirmedSat");
        List<String> shot = new ArrayList<>(flags);
        shot.addAll(List.of("--screenshot=" + out.toAbsolutePath(), gateway(0) + "/"));
        Process s = new ProcessBuilder(shot).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        boolean shotDone = s.waitFor(60, TimeUnit.SECONDS);
        if (!shotDone) s.descendants().forEach(ProcessHandle::destroyForcibly);
        s.destroyForcibly();
        assertThat(shotDone).as("chromium took the screenshot within 60 s").isTrue();
        assertThat(Files.size(out)).as("screenshot").isGreaterThan(10_000);
    }
}
