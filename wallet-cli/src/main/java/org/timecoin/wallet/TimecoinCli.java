package org.timecoin.wallet;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import org.timecoin.protocol.codec.Hex;
import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.model.Address;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.MasternodeRegistration;
import org.timecoin.protocol.model.Network;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.Tier;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxInput;
import org.timecoin.protocol.model.TxOutput;
import org.timecoin.protocol.model.Witness;
import org.timecoin.protocol.rules.TransactionRules;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * The {@code timecoin} command. Exit codes scripts can rely on: 0 done, 2 usage, 3 rejected or released, 4 not final
 * within the timeout, 5 gateway error or unreachable, 6 keystore (missing, wrong passphrase), 7 insufficient funds.
 *
 * <p>Its size (~490 lines): one small picocli class per subcommand, nested here so the command's whole surface reads in one file; the keystore, the HTTP client and the load generator are classes of their own.
 */
@Command(name = "timecoin", mixinStandardHelpOptions = true, version = "timecoin 0.1.0",
        description = "TimeCoin wallet: keys in an encrypted keystore, balances, payments with instant finality.",
        subcommands = {TimecoinCli.Keys.class, TimecoinCli.AddressCmd.class, TimecoinCli.BalanceCmd.class, TimecoinCli.HistoryCmd.class, TimecoinCli.Send.class,
                TimecoinCli.Status.class, TimecoinCli.RegisterMasternode.class, LoadGenerator.class})
public final class TimecoinCli {
    public static final int OK = 0;
    public static final int USAGE = 2;
    public static final int REJECTED = 3;
    public static final int NOT_FINAL = 4;
    public static final int GATEWAY = 5;
    public static final int KEYSTORE = 6;
    public static final int FUNDS = 7;

    static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--keystore", scope = CommandLine.ScopeType.INHERIT, description = "keystore file (default: $TIMECOIN_KEYSTORE or ~/.timecoin/keystore.json)")
    Path keystore;

    @Option(names = "--gateway", scope = CommandLine.ScopeType.INHERIT, description = "gateway URL (default: $TIMECOIN_GATEWAY or http://127.0.0.1:24210)")
    String gateway;

    @Option(names = "--passphrase-file", scope = CommandLine.ScopeType.INHERIT, description = "read the keystore passphrase from this file (else $TIMECOIN_PASSPHRASE, else a prompt)")
    Path passphraseFile;

    @Option(names = "--json", scope = CommandLine.ScopeType.INHERIT, description = "machine-readable output")
    boolean json;

    PrintWriter out = new PrintWriter(System.out, true);

    /** Where results go (standard output by default; tests and embedding programs capture them). */
    public TimecoinCli withOutput(PrintWriter writer) {
        this.out = writer;
        return this;
    }

    Path keystorePath() {
        if (keystore != null) return keystore;
        String env = System.getenv("TIMECOIN_KEYSTORE");
        return env != null ? Path.of(env) : Path.of(System.getProperty("user.home"), ".timecoin", "keystore.json");
    }

    GatewayClient gateway() {
        String url = gateway != null ? gateway : System.getenv().getOrDefault("TIMECOIN_GATEWAY", "http://127.0.0.1:24210");
        return new GatewayClient(url);
    }

    char[] passphrase() throws IOException {
        if (passphraseFile != null) return Files.readString(passphraseFile, StandardCharsets.UTF_8).strip().toCharArray();
        String env = System.getenv("TIMECOIN_PASSPHRASE");
        if (env != null) return env.toCharArray();
        if (System.console() == null) throw new Keystore.LockedException("no passphrase: use --passphrase-file or TIMECOIN_PASSPHRASE");
        return System.console().readPassword("keystore passphrase: ");
    }

    /** Human text, or with --json the map as one JSON object. */
    void print(Map<String, Object> result, String human) {
        if (json) {
            try {
                out.println(JSON.writeValueAsString(result));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        } else {
            out.println(human);
        }
    }

    static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    abstract static class Sub implements Callable<Integer> {
        @ParentCommand
        Object parent;

        TimecoinCli root() {
            return parent instanceof TimecoinCli t ? t : ((Keys) parent).root;
        }

        @Override
        public Integer call() throws Exception {
            TimecoinCli cli = root();
            try {
                return run(cli);
            } catch (IllegalArgumentException | org.timecoin.protocol.codec.ProtocolException e) {
                return fail(cli, USAGE, "USAGE", e.getMessage());
            } catch (Keystore.LockedException | Keystore.UnusableException | java.nio.file.NoSuchFileException e) {
                return fail(cli, KEYSTORE, "KEYSTORE", e.getMessage());
            } catch (GatewayClient.ApiError e) {
                return fail(cli, e.code.equals("INSUFFICIENT_FUNDS") ? FUNDS : GATEWAY, e.code, e.getMessage());
            } catch (java.net.ConnectException | java.net.http.HttpTimeoutException e) {
                return fail(cli, GATEWAY, "GATEWAY_UNREACHABLE", "cannot reach the gateway: " + e.getMessage());
            } catch (IOException e) {
                return fail(cli, GATEWAY, "IO", e.getMessage());
            }
        }

        static int fail(TimecoinCli cli, int code, String type, String message) {
            if (cli.json) cli.print(map("error", type, "message", message, "exitCode", code), "");
            else System.err.println("error: " + message);
            return code;
        }

        abstract int run(TimecoinCli cli) throws Exception;
    }

    // ---- keys ----

    @Command(name = "keys", description = "manage the keystore", subcommands = {Keys.New.class, Keys.Import.class, Keys.ListKeys.class, Keys.Show.class})
    static final class Keys {
        @ParentCommand
        TimecoinCli root;

        @Command(name = "new", description = "create a key")
        static final class New extends Sub {
            @Option(names = "--name", required = true)
            String name;
            @Option(names = "--network", defaultValue = "devnet")
            String network;

            int run(TimecoinCli cli) throws Exception {
                Keystore ks = Keystore.openOrCreate(cli.keystorePath(), Network.byName(network));
                Keystore.Entry e = ks.add(name, Ed25519Keys.generate(new SecureRandom()), cli.passphrase());
                cli.print(map("name", e.name(), "address", e.address(), "publicKey", e.publicKey()), "created key '" + e.name() + "': " + e.address());
                return OK;
            }
        }

        @Command(name = "import", description = "import a private key (hex, from a file) or a devnet genesis funded key")
        static final class Import extends Sub {
            @Option(names = "--name", required = true)
            String name;
            @Option(names = "--private-key-file")
            Path privateKeyFile;
            @Option(names = "--devnet-funded", description = "index of a funded key of the devnet genesis")
            Integer devnetFunded;
            @Option(names = "--devnet-seed", defaultValue = "devnet")
            String devnetSeed;
            @Option(names = "--network", defaultValue = "devnet")
            String network;

            int run(TimecoinCli cli) throws Exception {
                KeyPair k;
                if (privateKeyFile != null) k = Ed25519Keys.fromPrivateKey(Hex.decode(Files.readString(privateKeyFile).strip()));
                else if (devnetFunded != null) k = Ed25519Keys.deterministic(devnetSeed, "funded", devnetFunded);
                else throw new CommandLine.ParameterException(new CommandLine(this), "give --private-key-file or --devnet-funded");
                Keystore ks = Keystore.openOrCreate(cli.keystorePath(), Network.byName(network));
                Keystore.Entry e = ks.add(name, k, cli.passphrase());
                cli.print(map("name", e.name(), "address", e.address(), "publicKey", e.publicKey()), "imported key '" + e.name() + "': " + e.address());
                return OK;
            }
        }

        @Command(name = "list", description = "names and addresses (no passphrase needed)")
        static final class ListKeys extends Sub {
            int run(TimecoinCli cli) throws Exception {
                Keystore ks = Keystore.open(cli.keystorePath());
                List<Map<String, Object>> keys = new ArrayList<>();
                StringBuilder human = new StringBuilder();
                for (Keystore.Entry e : ks.entries()) {
                    keys.add(map("name", e.name(), "address", e.address()));
                    human.append(String.format("%-16s %s%n", e.name(), e.address()));
                }
                cli.print(map("keys", keys), human.toString().stripTrailing());
                return OK;
            }
        }

        @Command(name = "show", description = "a key's address and public key; the private key only with --private-key")
        static final class Show extends Sub {
            @Option(names = "--name", required = true)
            String name;
            @Option(names = "--private-key", description = "also print the private key (asks for the passphrase)")
            boolean privateKey;

            int run(TimecoinCli cli) throws Exception {
                Keystore ks = Keystore.open(cli.keystorePath());
                Keystore.Entry e = ks.entry(name).orElseThrow(() -> new Keystore.LockedException("no key named '" + name + "'"));
                Map<String, Object> m = map("name", e.name(), "address", e.address(), "publicKey", e.publicKey());
                if (privateKey) m.put("privateKey", Hex.encode(ks.unlock(name, cli.passphrase()).privateKeyBytes()));
                cli.print(m, e.address() + "\npublic key " + e.publicKey() + (privateKey ? "\nprivate key " + m.get("privateKey") : ""));
                return OK;
            }
        }
    }

    @Command(name = "address", description = "the address of a key")
    static final class AddressCmd extends Sub {
        @Option(names = "--name", required = true)
        String name;

        int run(TimecoinCli cli) throws Exception {
            Keystore.Entry e = Keystore.open(cli.keystorePath()).entry(name).orElseThrow(() -> new Keystore.LockedException("no key named '" + name + "'"));
            cli.print(map("name", name, "address", e.address()), e.address());
            return OK;
        }
    }

    /** The address a command reads: a key of the keystore by {@code --name}, or any address by {@code --address}. */
    static final class AddressChoice {
        @Option(names = "--name")
        String name;
        @Option(names = "--address")
        String address;

        String resolve(TimecoinCli cli) throws IOException {
            if (address != null) return address;
            if (name == null) throw new IllegalArgumentException("give --name or --address");
            return Keystore.open(cli.keystorePath()).entry(name).orElseThrow(() -> new Keystore.LockedException("no key named '" + name + "'")).address();
        }
    }

    @Command(name = "balance", description = "confirmed and pending balance")
    static final class BalanceCmd extends Sub {
        @Mixin
        AddressChoice address;

        int run(TimecoinCli cli) throws Exception {
            String a = address.resolve(cli);
            JsonNode b = cli.gateway().get("/v1/addresses/" + a + "/balance");
            long confirmed = b.path("confirmedSat").asLong();
            long pending = b.path("pendingSat").asLong();
            cli.print(map("address", a, "confirmedSat", confirmed, "pendingSat", pending),
                    a + ": " + Amount.sat(confirmed).toTimeString() + " TIME confirmed, " + Amount.sat(pending).toTimeString() + " TIME pending");
            return OK;
        }
    }

    @Command(name = "history", description = "final and confirmed transactions of an address, newest first")
    static final class HistoryCmd extends Sub {
        @Mixin
        AddressChoice address;
        @Option(names = "--limit", defaultValue = "20", description = "at most this many (1..200; default ${DEFAULT-VALUE})")
        int limit;
        @Option(names = "--after", description = "continue after this position (the 'next' of an earlier answer)")
        String after;

        int run(TimecoinCli cli) throws Exception {
            String a = address.resolve(cli);
            JsonNode page = cli.gateway().get("/v1/addresses/" + a + "/transactions?limit=" + limit
                    + (after == null ? "" : "&after=" + java.net.URLEncoder.encode(after, java.nio.charset.StandardCharsets.UTF_8)));
            StringBuilder human = new StringBuilder(a);
            for (JsonNode t : page.path("transactions")) {
                long net = t.path("receivedSat").asLong() - t.path("sentSat").asLong();
                human.append(System.lineSeparator()).append(t.path("txid").asText()).append("  ")
                        .append(t.hasNonNull("blockHeight") ? "block " + t.path("blockHeight").asLong() : "final, not yet in a block").append("  ")
                        .append(net >= 0 ? "+" : "-").append(Amount.sat(Math.abs(net)).toTimeString()).append(" TIME");
            }
            if (page.hasNonNull("next")) human.append(System.lineSeparator()).append("more: --after ").append(page.path("next").asText());
            cli.print(map("address", a, "transactions", JSON.convertValue(page.path("transactions"), List.class),
                    "next", page.hasNonNull("next") ? page.path("next").asText() : null), human.toString());
            return OK;
        }
    }

    /** Spendable outputs of an address, largest first, until they cover {@code needed} (paging through all of them). */
    static List<JsonNode> spendable(GatewayClient g, String address) throws IOException, InterruptedException {
        List<JsonNode> all = new ArrayList<>();
        String after = null;
        do {
            JsonNode page = g.get("/v1/addresses/" + address + "/utxos?limit=1000" + (after == null ? "" : "&after=" + after));
            for (JsonNode u : page.path("utxos")) if (u.path("state").asText().equals("UNSPENT")) all.add(u);
            after = page.path("next").isNull() || page.path("next").isMissingNode() ? null : page.path("next").asText();
        } while (after != null && all.size() < 100_000);
        all.sort((x, y) -> Long.compare(y.path("amountSat").asLong(), x.path("amountSat").asLong()));
        return all;
    }

    /** Inputs for {@code amount} plus the fee rule's fee; change back to the sender unless it would be dust. */
    static Transaction buildPayment(List<JsonNode> utxos, KeyPair from, Address to, Amount amount, Long feeSat, Network network) {
        return buildPayment(utxos, from, to, amount, feeSat, network, 0);
    }

    /** {@code extraBytes}: what the caller adds to the transaction (a registration's payload), paid for in the fee. */
    static Transaction buildPayment(List<JsonNode> utxos, KeyPair from, Address to, Amount amount, Long feeSat, Network network, int extraBytes) {
        List<OutPoint> inputs = new ArrayList<>();
        Amount in = Amount.ZERO;
        for (JsonNode u : utxos) {
            if (inputs.size() >= 500) break;
            inputs.add(new OutPoint(Hash.fromHex(u.path("txid").asText()), u.path("index").asInt()));
            in = in.plus(Amount.sat(u.path("amountSat").asLong()));
            // the fee is by size: with a change output the transaction is one output larger
            Amount feeWithChange = feeSat != null ? Amount.sat(feeSat) : TransactionRules.minimumFee(TransactionRules.transferSize(inputs.size(), 2) + extraBytes);
            Amount feeWithout = feeSat != null ? Amount.sat(feeSat) : TransactionRules.minimumFee(TransactionRules.transferSize(inputs.size(), 1) + extraBytes);
            if (!in.lessThan(amount.plus(feeWithout))) {
                List<TxOutput> outs = new ArrayList<>();
                outs.add(new TxOutput(amount, to.keyHash()));
                if (!in.lessThan(amount.plus(feeWithChange))) {
                    Amount change = in.minus(amount).minus(feeWithChange);
                    if (!change.lessThan(TransactionRules.DUST_LIMIT)) outs.add(new TxOutput(change, from.keyHash()));
                }
                List<KeyPair> signers = new ArrayList<>();
                for (int i = 0; i < inputs.size(); i++) signers.add(from);
                return Transaction.transfer(inputs, outs).signed(network.chainId(), signers);
            }
        }
        throw new GatewayClient.ApiError(0, "INSUFFICIENT_FUNDS", "spendable " + in.toTimeString() + " TIME is less than "
                + amount.toTimeString() + " TIME plus the fee");
    }

    /** The longest wait asked of the gateway in one request (its cap is 30 s; the client's request timeout is 30 s too). */
    static final long WAIT_PER_REQUEST_MILLIS = 25_000;

    /**
     * Submits and waits for the outcome in the same request (the gateway's waitMillis), then long-polls for what is left
     * of {@code timeoutMillis}; returns the exit code and prints the outcome with the time it took.
     */
    static int submitAndAwait(TimecoinCli cli, Transaction tx, long timeoutMillis) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        JsonNode s = cli.gateway().post("/v1/transactions?waitMillis=" + Math.min(timeoutMillis, WAIT_PER_REQUEST_MILLIS), Map.of("hex", Hex.encode(tx.toBytes())));
        return awaitFinality(cli, s.path("txid").asText(), t0, timeoutMillis, s);
    }

    private static boolean open(JsonNode status) {
        String st = status.path("status").asText();
        return st.equals("SUBMITTED") || st.equals("PENDING");
    }

    /** Long-polls until the outcome or the deadline, from {@code s}, the status already answered; prints and returns the exit code. */
    static int awaitFinality(TimecoinCli cli, String txid, long startNanos, long timeoutMillis, JsonNode s) throws IOException, InterruptedException {
        long deadline = startNanos + timeoutMillis * 1_000_000;
        while (open(s) && System.nanoTime() < deadline) {
            long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
            s = cli.gateway().get("/v1/transactions/" + txid + "/finality?timeoutMillis=" + Math.min(left, WAIT_PER_REQUEST_MILLIS));
        }
        long ms = (System.nanoTime() - startNanos) / 1_000_000;
        String status = s.path("status").asText();
        int code = status.equals("FINAL") || status.equals("CONFIRMED") ? OK : status.equals("REJECTED") || status.equals("RELEASED") ? REJECTED : NOT_FINAL;
        String reason = s.path("reason").asText(null);
        cli.print(map("txid", txid, "status", status, "reason", reason, "elapsedMillis", ms),
                switch (code) {
                    case OK -> "final in " + ms + " ms: " + txid;
                    case REJECTED -> status.toLowerCase() + (reason == null ? "" : " (" + reason + ")") + " after " + ms + " ms: " + txid;
                    default -> "not final after " + ms + " ms (status " + status + "): " + txid;
                });
        return code;
    }

    @Command(name = "send", description = "pay an address and wait for finality")
    static final class Send extends Sub {
        @Option(names = "--from", required = true, description = "key name")
        String from;
        @Option(names = "--to", required = true)
        String to;
        @Option(names = "--amount", required = true, description = "in TIME, e.g. 12.5")
        String amount;
        @Option(names = "--fee-sat", description = "default: the protocol minimum, max(1,000 sat, 4 sat per encoded byte)")
        Long feeSat;
        @Option(names = "--no-wait")
        boolean noWait;
        @Option(names = "--timeout-ms", defaultValue = "30000")
        long timeoutMillis;

        int run(TimecoinCli cli) throws Exception {
            Keystore ks = Keystore.open(cli.keystorePath());
            Address dest = Address.parse(to);
            if (!dest.belongsTo(ks.network())) throw new IllegalArgumentException(to + " is not a " + ks.network().name().toLowerCase() + " address");
            KeyPair key = ks.unlock(from, cli.passphrase());
            GatewayClient g = cli.gateway();
            Transaction tx = buildPayment(spendable(g, Address.of(ks.network(), key.publicKey()).toString()), key, dest, Amount.parseTime(amount), feeSat, ks.network());
            if (noWait) {
                String txid = g.post("/v1/transactions", Map.of("hex", Hex.encode(tx.toBytes()))).path("txid").asText();
                cli.print(map("txid", txid, "status", "SUBMITTED"), "submitted " + txid);
                return OK;
            }
            return submitAndAwait(cli, tx, timeoutMillis);
        }
    }

    @Command(name = "status", description = "a transaction's status")
    static final class Status extends Sub {
        @Parameters(index = "0")
        String txid;

        int run(TimecoinCli cli) throws Exception {
            JsonNode s = cli.gateway().get("/v1/transactions/" + txid);
            String st = s.path("status").asText();
            cli.print(JSON.convertValue(s, Map.class), st + (s.hasNonNull("blockHeight") ? " in block " + s.path("blockHeight").asLong() : "")
                    + (s.hasNonNull("reason") ? " (" + s.path("reason").asText() + ")" : ""));
            return st.equals("REJECTED") || st.equals("RELEASED") ? REJECTED : OK;
        }
    }

    @Command(name = "register-masternode", description = "register a masternode: the collateral's owner signs; the fee is paid from --from")
    static final class RegisterMasternode extends Sub {
        @Option(names = "--from", required = true, description = "key that pays the fee and owns the collateral")
        String from;
        @Option(names = "--tier", required = true, description = "free, bronze, silver or gold")
        String tier;
        @Option(names = "--node-name", required = true, description = "the masternode's key in this keystore (keys import --private-key-file): the node key signs its registration too")
        String nodeName;
        @Option(names = "--host", required = true)
        String host;
        @Option(names = "--port", required = true)
        int port;
        @Option(names = "--collateral", description = "txid:index of an output of --from holding the tier's collateral")
        String collateral;
        @Option(names = "--timeout-ms", defaultValue = "30000")
        long timeoutMillis;

        int run(TimecoinCli cli) throws Exception {
            Keystore ks = Keystore.open(cli.keystorePath());
            KeyPair owner = ks.unlock(from, cli.passphrase());
            Tier t = Tier.valueOf(tier.toUpperCase());
            OutPoint coll = OutPoint.NULL;
            if (t != Tier.FREE) {
                if (collateral == null || !collateral.matches("[0-9a-fA-F]{64}:\\d+")) throw new IllegalArgumentException("--collateral txid:index is required for " + tier);
                String[] p = collateral.split(":");
                coll = new OutPoint(Hash.fromHex(p[0]), Integer.parseInt(p[1]));
            }
            KeyPair node = ks.unlock(nodeName, cli.passphrase());
            PublicKey nodePublic = node.publicKey();
            // the node key always signs; free: no collateral, the node key is the owner too
            MasternodeRegistration reg = new MasternodeRegistration(nodePublic, host, port, owner.keyHash(), t, coll)
                    .signedBy(ks.network().chainId(), t == Tier.FREE ? node : owner, node);
            GatewayClient g = cli.gateway();
            OutPoint collateralPoint = coll;
            List<JsonNode> funds = spendable(g, Address.of(ks.network(), owner.publicKey()).toString()).stream()
                    .filter(u -> !(u.path("txid").asText().equals(collateralPoint.txid().hex()) && u.path("index").asInt() == collateralPoint.index())).toList();
            // inputs for the fee, the change back to the owner; the registration itself has no value
            int payloadBytes = new Transaction(List.of(), List.of(), reg).encodedSize() - TransactionRules.transferSize(0, 0);
            Transaction payment = buildPayment(funds, owner, Address.of(ks.network(), owner.publicKey()), TransactionRules.DUST_LIMIT, null, ks.network(), payloadBytes);
            Transaction tx = new Transaction(payment.inputs().stream().map(i -> TxInput.unsigned(i.previous())).toList(), payment.outputs(), reg);
            List<KeyPair> signers = new ArrayList<>();
            for (int i = 0; i < tx.inputs().size(); i++) signers.add(owner);
            tx = tx.signed(ks.network().chainId(), signers);
            return submitAndAwait(cli, tx, timeoutMillis);
        }
    }

    public static int run(String... args) {
        return new CommandLine(new TimecoinCli()).execute(args);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }
}
