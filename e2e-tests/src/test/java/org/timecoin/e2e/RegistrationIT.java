package org.timecoin.e2e;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.timecoin.e2e.SharedDevnet.gateway;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Last on the shared devnet (it changes the validator set): a masternode registered with the CLI joins the set. */
@Order(3)
class RegistrationIT {

    @Test
    void aFreeMasternodeRegisteredWithTheCliAppearsInTheMasternodeList(@TempDir Path dir) throws Exception {
        Path ks = dir.resolve("operator.json");
        Path pass = dir.resolve("pass");
        Files.writeString(pass, "operator");
        String seed = SharedDevnet.genesis().seed();
        assertThat(TransactionFlowIT.cli(ks, pass, 0, "keys", "import", "--name", "owner", "--devnet-funded", "9", "--devnet-seed", seed).code()).isZero();
        TransactionFlowIT.Result node = TransactionFlowIT.cli(ks, pass, 0, "--json", "keys", "new", "--name", "node5");
        String nodeKey = TransactionFlowIT.JSON.readTree(node.out()).path("publicKey").asText();
        TransactionFlowIT.Result reg = TransactionFlowIT.cli(ks, pass, 1, "--json", "register-masternode", "--from", "owner", "--tier", "free",
                "--node-name", "node5", "--host", "127.0.0.1", "--port", "25299");
        assertThat(reg.code()).as(reg.out()).isZero();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            List<Map<String, Object>> list = given().baseUri(gateway(2)).get("/v1/masternodes").then().statusCode(200).extract().jsonPath().getList("$");
            assertThat(list).anySatisfy(m -> {
                assertThat(m.get("nodeKey")).isEqualTo(nodeKey);
                assertThat(m.get("tier")).isEqualTo("FREE");
                assertThat(m.get("votingWeight")).isEqualTo(0);
                assertThat(m.get("status")).isEqualTo("not connected");
            });
        });
    }
}
