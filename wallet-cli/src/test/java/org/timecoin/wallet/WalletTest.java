package org.timecoin.wallet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.model.Address;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.Network;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.rules.TransactionRules;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

class WalletTest {
    static final KeyPair ALICE = Ed25519Keys.deterministic("wallet-test", "alice", 0);
    static final KeyPair BOB = Ed25519Keys.deterministic("wallet-test", "bob", 0);

    @Test
    void keysAreSealedAndOnlyTheRightPassphraseOpensThem(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("ks.json");
        Keystore ks = Keystore.openOrCreate(file, Network.DEVNET);
        ks.add("alice", ALICE, "correct horse".toCharArray());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        String text = Files.readString(file);
        assertThat(text).doesNotContain(org.timecoin.protocol.codec.Hex.encode(ALICE.privateKeyBytes()));
        Keystore reopened = Keystore.open(file);
        assertThat(reopened.unlock("alice", "correct horse".toCharArray()).publicKey()).isEqualTo(ALICE.publicKey());
        assertThatThrownBy(() -> reopened.unlock("alice", "wrong".toCharArray())).isInstanceOf(Keystore.LockedException.class);
        // a second key must use the file's passphrase
        assertThatThrownBy(() -> reopened.add("bob", BOB, "other".toCharArray())).isInstanceOf(Keystore.LockedException.class);
        reopened.add("bob", BOB, "correct horse".toCharArray());
        // swapping the sealed keys of two entries is detected (name and public key are authenticated)
        ObjectMapper json = new ObjectMapper();
        var tree = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(file.toFile());
        var keys = (com.fasterxml.jackson.databind.node.ArrayNode) tree.get("keys");
        var a = (com.fasterxml.jackson.databind.node.ObjectNode) keys.get(0);
        var b = (com.fasterxml.jackson.databind.node.ObjectNode) keys.get(1);
        String ca = a.get("ciphertext").asText();
        String na = a.get("nonce").asText();
        a.put("ciphertext", b.get("ciphertext").asText()).put("nonce", b.get("nonce").asText());
        b.put("ciphertext", ca).put("nonce", na);
        json.writeValue(file.toFile(), tree);
        assertThatThrownBy(() -> Keystore.open(file).unlock("alice", "correct horse".toCharArray())).isInstanceOf(Keystore.LockedException.class);
    }

    static JsonNode utxo(String txidHex, int index, long sat) {
        return new ObjectMapper().createObjectNode().put("txid", txidHex).put("index", index).put("amountSat", sat).put("state", "UNSPENT");
    }

    @Test
    void paymentsPayTheRuleFeeAndReturnChange() {
        Address bob = Address.of(Network.DEVNET, BOB.publicKey());
        List<JsonNode> utxos = List.of(utxo("aa".repeat(32), 0, 5_000_000), utxo("bb".repeat(32), 1, 3_000_000));
        Transaction tx = TimecoinCli.buildPayment(utxos, ALICE, bob, Amount.sat(6_000_000), null, Network.DEVNET);
        assertThat(tx.inputs()).hasSize(2);
        assertThat(TransactionRules.checkStateless(tx)).isEmpty();
        assertThat(TransactionRules.checkSignatures(tx, Network.DEVNET.chainId())).isEmpty();
        Amount in = Amount.sat(8_000_000);
        Amount out = TransactionRules.outputTotal(tx);
        assertThat(TransactionRules.checkFee(in, out, tx.encodedSize())).isEmpty();
        assertThat(tx.outputs().get(0).amount()).isEqualTo(Amount.sat(6_000_000));
        assertThat(tx.outputs().get(1).keyHash()).isEqualTo(ALICE.keyHash()); // change
        assertThat(in.minus(out)).isEqualTo(TransactionRules.minimumFee(tx)); // by size: 2 inputs, 2 outputs = 330 bytes = 1,320 sat

        // change below the dust limit goes to the fee instead
        Transaction noChange = TimecoinCli.buildPayment(List.of(utxo("cc".repeat(32), 0, 1_001_400)), ALICE, bob, Amount.sat(1_000_000), null, Network.DEVNET);
        assertThat(noChange.outputs()).hasSize(1);
        assertThatThrownBy(() -> TimecoinCli.buildPayment(utxos, ALICE, bob, Amount.sat(7_999_000), null, Network.DEVNET))
                .hasMessageContaining("INSUFFICIENT_FUNDS");
    }

    @Test
    void cliExitCodesAndJson(@TempDir Path dir) throws Exception {
        Path ks = dir.resolve("ks.json");
        Path pass = dir.resolve("pass");
        Files.writeString(pass, "pw\n");
        var out = new java.io.StringWriter();
        var cli = new picocli.CommandLine(new TimecoinCli());
        ((TimecoinCli) cli.getCommand()).out = new java.io.PrintWriter(out, true);
        assertThat(cli.execute("--keystore", ks.toString(), "--passphrase-file", pass.toString(), "--json", "keys", "import", "--name", "f0",
                "--devnet-funded", "0")).isZero();
        JsonNode imported = new ObjectMapper().readTree(out.toString());
        assertThat(imported.path("address").asText()).isEqualTo(Address.of(Network.DEVNET, Ed25519Keys.deterministic("devnet", "funded", 0).publicKey()).toString());
        assertThat(out.toString()).doesNotContain(org.timecoin.protocol.codec.Hex.encode(Ed25519Keys.deterministic("devnet", "funded", 0).privateKeyBytes()));
        Files.writeString(pass, "wrong");
        assertThat(new picocli.CommandLine(new TimecoinCli()).execute("--keystore", ks.toString(), "--passphrase-file", pass.toString(),
                "keys", "show", "--name", "f0", "--private-key")).isEqualTo(TimecoinCli.KEYSTORE);
        assertThat(new picocli.CommandLine(new TimecoinCli()).execute("--keystore", dir.resolve("none.json").toString(), "--gateway", "http://127.0.0.1:1",
                "balance", "--name", "f0")).as("no keystore: a keystore error, before any gateway is asked").isEqualTo(TimecoinCli.KEYSTORE);
        Path notJson = dir.resolve("broken.json");
        Files.writeString(notJson, "{\"version\": 1, ");
        assertThat(new picocli.CommandLine(new TimecoinCli()).execute("--keystore", notJson.toString(), "--gateway", "http://127.0.0.1:1",
                "balance", "--name", "f0")).isEqualTo(TimecoinCli.KEYSTORE);
        assertThat(new picocli.CommandLine(new TimecoinCli()).execute("--keystore", ks.toString(), "--gateway", "http://127.0.0.1:1",
                "balance", "--name", "f0")).isEqualTo(TimecoinCli.GATEWAY);
        assertThat(new picocli.CommandLine(new TimecoinCli()).execute("send")).isEqualTo(2); // usage

        // the global options work after a subcommand too, and its help lists them
        Files.writeString(pass, "pw\n");
        var after = new java.io.StringWriter();
        var cli2 = new picocli.CommandLine(new TimecoinCli());
        ((TimecoinCli) cli2.getCommand()).out = new java.io.PrintWriter(after, true);
        assertThat(cli2.execute("keys", "list", "--keystore", ks.toString(), "--passphrase-file", pass.toString(), "--json")).isZero();
        assertThat(new ObjectMapper().readTree(after.toString()).path("keys").get(0).path("name").asText()).isEqualTo("f0");
        String help = new picocli.CommandLine(new TimecoinCli()).getSubcommands().get("send").getUsageMessage();
        assertThat(help).contains("--json", "--gateway", "--keystore", "--passphrase-file");
    }
}
