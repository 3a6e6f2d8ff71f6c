package org.timecoin.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;
import org.timecoin.infra.LocalInfra;
import org.timecoin.infra.TopicProbe;
import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.genesis.DevnetGenesis;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.Block;
import org.timecoin.protocol.model.CommitCertificate;
import org.timecoin.protocol.model.ConsensusMessage;
import org.timecoin.protocol.model.FinalityCertificate;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.SignedConsensusMessage;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxOutput;
import org.timecoin.protocol.model.TxVerdict;
import org.timecoin.protocol.model.TxVoteBatch;
import org.timecoin.protocol.model.VoteEntry;
import org.timecoin.protocol.rules.RewardSplit;
import org.timecoin.protocol.rules.TransactionRules;
import org.timecoin.protocol.stack.StackRecords;

/**
 * Two ledger replicas (the packaged service, as separate processes) share one PostgreSQL database and one Kafka
 * broker: validation spreads over both and conflicting transactions raced on different replicas are approved at most
 * once; the replica applying a block is killed between its statements and its commit, and the block is still applied
 * exactly once, leaving the state of a clean apply.
 */
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class LedgerReplicasIT {
    static final String SEED = "replicas-it";
    static final DevnetGenesis G = DevnetGenesis.create(SEED, 4);
    static final int CHAIN = G.chainId();
    static final long ORPHAN_WAIT_MILLIS = 120_000;

    static LocalInfra infra;
    static Path dir;
    static String prefix;
    static final List<Process> replicas = new ArrayList<>();
    static final int[] ports = new int[2];
    static TopicProbe topics;
    static org.timecoin.infra.LocalKafka.Login kafkaLogin;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        dir = Path.of(System.getProperty("timecoin.infra.dir", "target/local-infra-it")).resolve("replicas-" + UUID.randomUUID());
        infra = LocalInfra.start(dir);
        infra.postgres().ensureDatabase("replicas");
        prefix = "it" + Long.toHexString(System.nanoTime()) + ".";
        try (Admin admin = Admin.create(infra.kafka().adminConfig())) {
            // four partitions: submitted transactions (keyed by txid) spread over both replicas
            admin.createTopics(List.of(new NewTopic(prefix + "tx.submitted", 4, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        // the replicas log in as a ledger does in a stack: allowed only the ledger's topics, none created on the fly
        infra.kafka().createTopics(prefix, org.timecoin.infra.StackTopics.all());
        kafkaLogin = infra.kafka().createServiceUser("it-ledger", prefix, org.timecoin.infra.StackTopics.LEDGER);
        for (int i = 0; i < 2; i++) replicas.add(launch(i));
        for (int i = 0; i < 2; i++) awaitReady(i);
        topics = new TopicProbe(infra.kafka(), prefix, List.of("tx.verdicts", "blocks.applied", "proposals.responses"));
    }

    static Process launch(int i) throws Exception {
        if (ports[i] == 0) ports[i] = org.timecoin.infra.FreePorts.pick();
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-Dquarkus.http.port=" + ports[i], "-Dkafka.bootstrap.servers=" + infra.kafka().bootstrapServers(),
                "-Dkafka.session.timeout.ms=6000", "-Dkafka.heartbeat.interval.ms=1000",
                "-Dtimecoin.topic.prefix=" + prefix, "-Dtimecoin.genesis.seed=" + SEED, "-Dtimecoin.genesis.nodes=4",
                "-Dquarkus.datasource.jdbc.url=" + infra.postgres().jdbcUrl("replicas"), "-Dquarkus.datasource.username=" + infra.postgres().login("replicas").user(),
                "-Dquarkus.datasource.password=" + infra.postgres().login("replicas").password(),
                "-Dtimecoin.ledger.fault.halt-before-commit-height=1",
                // longer than any wait below: an orphan approved in time was woken, not released by its deadline
                "-Dtimecoin.ledger.orphan-wait-millis=" + ORPHAN_WAIT_MILLIS,
                // the ten thousand of the second test stay pending (nothing finalizes them) while the third runs
                "-Dtimecoin.ledger.max-pending-transactions=100000", "-Dtimecoin.ledger.fault.halt-marker=" + dir.resolve("halted-once"),
                "-jar", System.getProperty("ledger.jar"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("replica" + i + ".log").toFile()));
        pb.environment().putAll(kafkaLogin.environment());
        return pb.start();
    }

    static String get(int replica, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports[replica] + path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body();
    }

    static void awaitReady(int i) {
        Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .until(() -> get(i, "/q/health/ready").startsWith("200"));
    }

    @AfterAll
    static void stop() {
        if (topics != null) topics.close();
        for (Process p : replicas) {
            p.destroy();
            try {
                if (!p.waitFor(20, TimeUnit.SECONDS)) p.destroyForcibly();
            } catch (InterruptedException e) {
                p.destroyForcibly();
            }
        }
        if (infra != null) infra.close();
    }

    static void publish(String topic, byte[] key, byte[] value) {
        topics.publish(topic, key, value);
    }

    static <T> List<T> collect(String topic, Function<byte[], T> pick, int atLeast) {
        return topics.collect(topic, pick, atLeast, Duration.ofSeconds(90));
    }

    /** The verdicts on tx.verdicts so far whose txid {@code which} holds (records carry a ledger poll's each). */
    static List<StackRecords.Verdict> verdicts(java.util.function.Predicate<Hash> which, int atLeast) {
        return topics.collectItems("tx.verdicts", b -> StackRecords.decodeVerdicts(b).stream().filter(v -> which.test(v.txid())).toList(),
                atLeast, Duration.ofSeconds(90));
    }

    static Transaction pay(int fundedKey, int payee) {
        KeyPair from = G.fundedKeys().get(fundedKey);
        KeyPair to = Ed25519Keys.deterministic(SEED, "payee", payee);
        long fee = TransactionRules.minimumFee(TransactionRules.transferSize(1, 2)).sat();
        return Transaction.transfer(List.of(new OutPoint(G.block().transactions().get(0).txid(), fundedKey)),
                List.of(new TxOutput(Amount.time(100), to.keyHash()),
                        new TxOutput(Amount.sat(DevnetGenesis.FUNDED_AMOUNT.sat() - Amount.time(100).sat() - fee), from.keyHash())))
                .signed(CHAIN, List.of(from));
    }

    static double metric(int replica, String line) throws Exception {
        for (String l : get(replica, "/q/metrics").split("\n")) {
            if (l.startsWith(line)) return Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1));
        }
        return 0;
    }

    @Test
    @org.junit.jupiter.api.Order(1)
    void replicasShareValidationRaceSafelyAndApplyABlockOnceDespiteACrash() throws Exception {
        // 1. ten double spends, each pair submitted at once: both replicas validate, each pair gets at most one approval
        Map<Hash, Integer> pairOf = new HashMap<>();
        List<Transaction> all = new ArrayList<>();
        for (int k = 0; k < 10; k++) {
            for (int payee = 0; payee < 2; payee++) {
                Transaction tx = pay(k, payee);
                pairOf.put(tx.txid(), k);
                all.add(tx);
            }
        }
        for (Transaction tx : all) publish("tx.submitted", tx.txid().toByteArray(), tx.toBytes());
        // a record may be validated twice (delivery is at least once: a rebalance while the second replica joins hands
        // over partitions whose offsets were not committed yet), so wait for a verdict on every transaction and require
        // that repeated verdicts agree
        Map<Hash, StackRecords.Verdict> verdictOf = new HashMap<>();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
            verdictOf.clear();
            for (StackRecords.Verdict v : verdicts(txid -> true, 0)) {
                StackRecords.Verdict earlier = verdictOf.putIfAbsent(v.txid(), v);
                if (earlier != null) assertThat(v.verdict()).as("repeated verdict on %s", v.txid()).isEqualTo(earlier.verdict());
            }
            assertThat(verdictOf).hasSameSizeAs(all);
        });
        Map<Integer, Integer> approvals = new HashMap<>();
        List<Transaction> approved = new ArrayList<>();
        for (StackRecords.Verdict v : verdictOf.values()) {
            if (v.verdict() == TxVerdict.APPROVE) {
                approvals.merge(pairOf.get(v.txid()), 1, Integer::sum);
                approved.add(all.stream().filter(t -> t.txid().equals(v.txid())).findFirst().orElseThrow());
            } else {
                assertThat(v.reason()).isEqualTo("INPUT_LOCKED");
            }
        }
        assertThat(approvals).hasSize(10).allSatisfy((pair, n) -> assertThat(n).isEqualTo(1));
        assertThat(metric(0, "timecoin_ledger_verdicts_total")).as("replica 0 validated some").isPositive();
        assertThat(metric(1, "timecoin_ledger_verdicts_total")).as("replica 1 validated some").isPositive();

        // 2. the approved ones become final, consensus asks for a block, the block is finalized
        for (Transaction tx : approved) {
            List<FinalityCertificate.VoteProof> proofs = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                proofs.add(TxVoteBatch.sign(CHAIN, 1, G.masternodes().get(i).nodeKey(), List.of(new VoteEntry(tx.txid(), TxVerdict.APPROVE))).proofFor(0));
            }
            publish("tx.finalized", tx.txid().toByteArray(), StackRecords.encode(new StackRecords.Finalized(new FinalityCertificate(CHAIN, tx.txid(), 1, proofs))));
        }
        KeyPair proposer = G.masternodes().get(2).nodeKey();
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            publish("proposals.requests", null, StackRecords.encode(new StackRecords.BuildRequest(1, 0, G.hash(), DevnetGenesis.TIMESTAMP_MILLIS,
                    proposer.publicKey())));
            List<StackRecords.Built> built = collect("proposals.responses", b -> StackRecords.decodeProposalResponse(b) instanceof StackRecords.Built x ? x : null, 1);
            return built.get(built.size() - 1).block().transactions().size() == 11;
        });
        List<StackRecords.Built> built = collect("proposals.responses", b -> StackRecords.decodeProposalResponse(b) instanceof StackRecords.Built x ? x : null, 1);
        Block block = built.get(built.size() - 1).block();
        List<CommitCertificate.Seal> seals = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            KeyPair k = G.masternodes().get(i).nodeKey();
            seals.add(new CommitCertificate.Seal(k.publicKey(),
                    SignedConsensusMessage.sign(new ConsensusMessage.Commit(CHAIN, 1, 0, k.publicKey(), block.hash()), k).signature()));
        }
        CommitCertificate cert = new CommitCertificate(CHAIN, 1, 0, block.hash(), seals);
        publish("blocks.finalized", new byte[8], StackRecords.encode(new StackRecords.FinalizedBlock(block, cert)));

        // 3. whichever replica applies it first halts before committing; the other one takes the partition over and applies it
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(dir.resolve("halted-once")));
        int crashed = -1;
        for (int i = 0; i < 2; i++) {
            if (replicas.get(i).waitFor(30, TimeUnit.SECONDS)) crashed = i;
        }
        assertThat(crashed).as("one replica halted mid-apply").isNotNegative();
        assertThat(replicas.get(crashed).exitValue()).isEqualTo(137);
        List<StackRecords.BlockApplied> applied = collect("blocks.applied", b -> {
            StackRecords.BlockApplied a = StackRecords.decodeBlockApplied(b);
            return a.height() == 1 ? a : null;
        }, 1);
        assertThat(applied.get(0).hash()).isEqualTo(block.hash());

        // 4. the crashed replica restarts and agrees; the database holds exactly one apply, identical to a clean one
        replicas.set(crashed, launch(crashed));
        awaitReady(crashed);
        assertThat(get(crashed, "/v1/ledger/chain")).startsWith("200").contains("\"height\":1");
        PGSimpleDataSource clean = new PGSimpleDataSource();
        infra.postgres().ensureDatabase("clean_apply");
        clean.setURL(infra.postgres().jdbcUrl("clean_apply"));
        clean.setUser(infra.postgres().user());
        clean.setPassword(infra.postgres().password());
        org.flywaydb.core.Flyway.configure().dataSource(clean).locations("classpath:db/migration").load().migrate();
        ChainStore reference = new ChainStore(clean);
        reference.applyBlock(CHAIN, G.block(), null);
        ChainStore.Applied referenceApplied = reference.applyBlock(CHAIN, block, cert);
        try (Connection c = DriverManager.getConnection(infra.postgres().jdbcUrl("replicas"), infra.postgres().user(), infra.postgres().password());
             var s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM block WHERE height = 1")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(1);
            }
            try (ResultSet rs = s.executeQuery("SELECT utxo_commitment, applied_height FROM chain_state")) {
                rs.next();
                assertThat(new Hash(rs.getBytes(1))).isEqualTo(referenceApplied.utxoCommitment());
                assertThat(rs.getLong(2)).isEqualTo(1);
            }
            try (ResultSet rs = s.executeQuery("SELECT COALESCE(sum(amount), 0) FROM utxo WHERE created_height IS NOT NULL AND state <> 4")) {
                rs.next(); // supply: genesis + one subsidy (fees only move)
                assertThat(rs.getLong(1)).isEqualTo(G.initialSupply().plus(RewardSplit.BLOCK_SUBSIDY).sat());
            }
        }
    }

    /** Heap in use after a full GC, summed over the heap pools, read from the replica's own metrics. */
    static double heapAfterGc(int replica) throws Exception {
        return org.timecoin.infra.JvmHeap.afterFullGc(replicas.get(replica).pid(), "http://127.0.0.1:" + ports[replica]);
    }

    @Test
    @org.junit.jupiter.api.Order(2)
    void tenThousandTransactionsAreValidatedAcrossReplicasAndHeapGrowthIsReported() throws Exception {
        KeyPair owner = G.fundedKeys().get(5);
        int n = 10_000;
        try (Connection c = DriverManager.getConnection(infra.postgres().jdbcUrl("replicas"), infra.postgres().user(), infra.postgres().password());
             var ps = c.prepareStatement("INSERT INTO utxo (txid, idx, amount, key_hash, state, created_height) "
                     + "SELECT sha256(int4send(g)), 0, 100000000, ?, 0, 0 FROM generate_series(1000001, 1000000 + ?) g")) {
            ps.setBytes(1, owner.keyHash().toByteArray());
            ps.setInt(2, n);
            assertThat(ps.executeUpdate()).isEqualTo(n);
        }
        double[] before = {heapAfterGc(0), heapAfterGc(1)};
        java.util.Set<Hash> ids = new java.util.HashSet<>();
        List<byte[][]> records = new ArrayList<>();
        long fee = TransactionRules.minimumFee(TransactionRules.transferSize(1, 1)).sat();
        for (int g = 1_000_001; g <= 1_000_000 + n; g++) {
            byte[] be = {(byte) (g >>> 24), (byte) (g >>> 16), (byte) (g >>> 8), (byte) g};
            OutPoint in = new OutPoint(new Hash(org.timecoin.protocol.crypto.Hashes.sha256(be)), 0);
            Transaction tx = Transaction.transfer(List.of(in), List.of(new TxOutput(Amount.sat(100_000_000 - fee), owner.keyHash()))).signed(CHAIN, List.of(owner));
            ids.add(tx.txid());
            records.add(new byte[][] {tx.txid().toByteArray(), tx.toBytes()});
        }
        topics.publishAll("tx.submitted", records);
        long start = System.nanoTime();
        List<StackRecords.Verdict> verdicts = verdicts(ids::contains, n);
        double seconds = (System.nanoTime() - start) / 1e9;
        assertThat(verdicts).hasSize(n).allSatisfy(v -> assertThat(v.verdict()).isEqualTo(TxVerdict.APPROVE));
        double[] after = {heapAfterGc(0), heapAfterGc(1)};
        System.out.printf("ledger replicas: %d transactions validated and locked in %.1f s (%.0f tx/s over 2 replicas); heap after GC "
                        + "grew %.1f MB (replica 0) and %.1f MB (replica 1)%n", n, seconds, n / seconds, (after[0] - before[0]) / 1e6,
                (after[1] - before[1]) / 1e6);
    }

    /** Inserts an unspent output of 1 TIME for {@code owner}, txid sha256(g), index 0, confirmed at genesis. */
    static OutPoint insertOutput(KeyPair owner, int g) throws Exception {
        try (Connection c = DriverManager.getConnection(infra.postgres().jdbcUrl("replicas"), infra.postgres().user(), infra.postgres().password());
             var ps = c.prepareStatement("INSERT INTO utxo (txid, idx, amount, key_hash, state, created_height) VALUES (sha256(int4send(?)), 0, 100000000, ?, 0, 0)")) {
            ps.setInt(1, g);
            ps.setBytes(2, owner.keyHash().toByteArray());
            ps.executeUpdate();
        }
        byte[] be = {(byte) (g >>> 24), (byte) (g >>> 16), (byte) (g >>> 8), (byte) g};
        return new OutPoint(new Hash(org.timecoin.protocol.crypto.Hashes.sha256(be)), 0);
    }

    static Transaction spend(KeyPair owner, OutPoint in, long amountSat) {
        long fee = TransactionRules.minimumFee(TransactionRules.transferSize(1, 1)).sat();
        return Transaction.transfer(List.of(in), List.of(new TxOutput(Amount.sat(amountSat - fee), owner.keyHash()))).signed(CHAIN, List.of(owner));
    }

    static String utxoState(int replica, OutPoint p) throws Exception {
        String r = get(replica, "/v1/ledger/utxos/" + p.txid().hex() + "/" + p.index());
        assertThat(r).startsWith("200");
        return r.replaceAll(".*\"state\":\"([A-Z_]+)\".*", "$1");
    }

    /**
     * The replica that applies a parent's certificate is not always the one holding its children (orphans) or the one
     * a wallet reads from: each learns of the finality from tx.applied. Children parked on both replicas are approved
     * long before their deadline, and the spent parent inputs, cached as locked on both replicas, read as spent on
     * both, with no block in between.
     */
    @Test
    @org.junit.jupiter.api.Order(3)
    void aFinalityAppliedByOneReplicaWakesTheOrphansAndRefreshesTheCacheOfTheOther() throws Exception {
        KeyPair owner = G.fundedKeys().get(6);
        int partitions = 4; // tx.submitted, split two and two between the replicas
        List<OutPoint> funds = new ArrayList<>();
        List<Transaction> parents = new ArrayList<>();
        List<Transaction> children = new ArrayList<>();
        java.util.Set<Integer> covered = new java.util.HashSet<>();
        for (int g = 3_000_001; covered.size() < partitions || children.size() < 8; g++) {
            OutPoint fund = insertOutput(owner, g);
            Transaction parent = spend(owner, fund, 100_000_000);
            Transaction child = spend(owner, new OutPoint(parent.txid(), 0), parent.outputs().get(0).amount().sat());
            funds.add(fund);
            parents.add(parent);
            children.add(child);
            covered.add(org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(child.txid().toByteArray())) % partitions);
        }
        java.util.Set<Hash> parentIds = new java.util.HashSet<>(parents.stream().map(Transaction::txid).toList());
        for (Transaction p : parents) publish("tx.submitted", p.txid().toByteArray(), p.toBytes());
        List<StackRecords.Verdict> parentVerdicts = verdicts(parentIds::contains, parents.size());
        assertThat(parentVerdicts).allSatisfy(v -> assertThat(v.verdict()).isEqualTo(TxVerdict.APPROVE));
        for (OutPoint f : funds) for (int r = 0; r < 2; r++) assertThat(utxoState(r, f)).as("cached on replica %d", r).isEqualTo("LOCKED");

        double[] parkedBefore = {metric(0, "timecoin_ledger_orphans_parked_total"), metric(1, "timecoin_ledger_orphans_parked_total")};
        for (Transaction c : children) publish("tx.submitted", c.txid().toByteArray(), c.toBytes());
        Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(
                metric(0, "timecoin_ledger_orphans_parked_total") - parkedBefore[0] + metric(1, "timecoin_ledger_orphans_parked_total") - parkedBefore[1])
                .isEqualTo(children.size()));
        for (int r = 0; r < 2; r++) {
            assertThat(metric(r, "timecoin_ledger_orphans_parked_total") - parkedBefore[r]).as("orphans parked on replica %d", r).isPositive();
        }

        long start = System.nanoTime();
        for (Transaction p : parents) {
            List<FinalityCertificate.VoteProof> proofs = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                proofs.add(TxVoteBatch.sign(CHAIN, 1, G.masternodes().get(i).nodeKey(), List.of(new VoteEntry(p.txid(), TxVerdict.APPROVE))).proofFor(0));
            }
            publish("tx.finalized", null, StackRecords.encode(new StackRecords.Finalized(new FinalityCertificate(CHAIN, p.txid(), 1, proofs))));
        }
        java.util.Set<Hash> childIds = new java.util.HashSet<>(children.stream().map(Transaction::txid).toList());
        List<StackRecords.Verdict> childVerdicts = verdicts(childIds::contains, children.size());
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(childVerdicts).allSatisfy(v -> assertThat(v.verdict()).isEqualTo(TxVerdict.APPROVE));
        assertThat(millis).as("woken, not released at the deadline").isLessThan(ORPHAN_WAIT_MILLIS / 2);
        for (OutPoint f : funds) {
            for (int r = 0; r < 2; r++) {
                int replica = r;
                Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(utxoState(replica, f)).isEqualTo("SPENT_FINAL"));
            }
        }
    }

    @Test
    @org.junit.jupiter.api.Order(4)
    void aDatabaseOutageMakesReplicasUnreadyPausesWorkAndLosesNothing() throws Exception {
        KeyPair owner = G.fundedKeys().get(5);
        Transaction tx = spend(owner, insertOutput(owner, 2_000_001), 100_000_000);
        infra.postgres().stop();
        for (int i = 0; i < 2; i++) {
            int r = i;
            Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> get(r, "/q/health/ready").startsWith("503"));
        }
        publish("tx.submitted", tx.txid().toByteArray(), tx.toBytes());
        Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .until(() -> metric(0, "timecoin_ledger_database_retries_total") + metric(1, "timecoin_ledger_database_retries_total") > 0);
        infra.postgres().restart(Duration.ofSeconds(60));
        for (int i = 0; i < 2; i++) awaitReady(i);
        List<StackRecords.Verdict> v = verdicts(tx.txid()::equals, 1);
        assertThat(v.get(0).verdict()).isEqualTo(TxVerdict.APPROVE);
    }
}
