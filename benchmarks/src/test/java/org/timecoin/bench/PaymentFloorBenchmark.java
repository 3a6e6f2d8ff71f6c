package org.timecoin.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.timecoin.infra.LocalInfra;
import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.HashTag;
import org.timecoin.protocol.crypto.Hashes;
import org.timecoin.protocol.crypto.Signature;
import org.timecoin.protocol.model.TxVerdict;
import org.timecoin.protocol.model.TxVoteBatch;
import org.timecoin.protocol.model.VoteEntry;

/**
 * What one payment must cost a node at the limit, measured on this machine in one run: the CPU of each primitive a
 * payment cannot avoid — an Ed25519 verification per input, its share of the node's vote batch signature and of the
 * three peers' batch verifications, its PostgreSQL row changes (array statements, the ledger's path; server CPU
 * included), and its share of the Kafka records that would carry it, batched (client and broker CPU included) — and
 * their sum, the floor. {@code timecoin load} prints the measured CPU per finalized payment per node beside it.
 * Runs only with {@code -Dtimecoin.bench=true} ({@code bin/bench floor}); the batch size, the row changes and the
 * record hops of the model are properties ({@code -Dfloor.batch=100}, {@code -Dfloor.rows=10}, {@code -Dfloor.hops=10}).
 */
class PaymentFloorBenchmark {
    static final int CHAIN = 3;
    static final int BATCH = Integer.getInteger("floor.batch", 100);
    static final int ROW_CHANGES = Integer.getInteger("floor.rows", 10);
    static final int RECORD_HOPS = Integer.getInteger("floor.hops", 10);
    static final int PEERS = 3;
    /** Bytes of one payment in a record (a 1-input, 2-output transaction is ~250 bytes encoded). */
    static final int PAYMENT_BYTES = 250;
    static final long TICKS_PER_SECOND = 100; // USER_HZ

    @Test
    void floorPerPaymentPerNode() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("timecoin.bench"), "run with -Dtimecoin.bench=true");
        Map<String, Double> micros = new LinkedHashMap<>();
        double verify = verifyMicros();
        double[] batch = voteBatchMicros();
        micros.put("Ed25519 verification of its input (1 per 1-input payment)", verify);
        micros.put(String.format("its share of the node's vote batch signature (1/%d)", BATCH), batch[0] / BATCH);
        micros.put(String.format("its share of %d peers' vote batch checks (Merkle root + signature, %d/%d)", PEERS, PEERS, BATCH), PEERS * batch[1] / BATCH);
        try (LocalInfra infra = LocalInfra.start(Path.of(System.getProperty("timecoin.infra.dir", "target/local-infra")).resolve("floor"))) {
            double row = rowChangeMicros(infra);
            double record = recordMicros(infra);
            micros.put(String.format("%d PostgreSQL row changes (array statements; server CPU included)", ROW_CHANGES), ROW_CHANGES * row);
            micros.put(String.format("its share of %d Kafka records of %d payments (client + broker CPU)", RECORD_HOPS, BATCH), RECORD_HOPS * record / BATCH);
            System.out.printf("%nprimitives: Ed25519 verify %.1f µs; vote batch of %d: sign %.1f µs, check %.1f µs; PostgreSQL %.2f µs per row change; "
                    + "Kafka %.1f µs per record of %d bytes%n", verify, BATCH, batch[0], batch[1], row, record, BATCH * PAYMENT_BYTES);
        }
        double floor = micros.values().stream().mapToDouble(Double::doubleValue).sum();
        System.out.println("\nfloor per payment per node (CPU):");
        micros.forEach((what, us) -> System.out.printf("  %-82s %8.1f µs%n", what, us));
        System.out.printf("  %-82s %8.1f µs%n", "floor", floor);
        Path out = Path.of(System.getProperty("floor.out", "target/payment-floor.properties"));
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, String.format("# bin/bench floor, %s%nfloorMicrosPerPaymentPerNode=%.1f%n", java.time.Instant.now(), floor));
        System.out.println("written to " + out.toAbsolutePath() + " (timecoin load --floor-file reads it)");
        assertThat(floor).isPositive();
    }

    /** Mean CPU of one verification, distinct keys and messages (no cache can help), this thread only. */
    static double verifyMicros() {
        int n = 4_000;
        List<KeyPair> keys = new ArrayList<>();
        List<Hash> digests = new ArrayList<>();
        List<Signature> sigs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            KeyPair k = Ed25519Keys.deterministic("floor", "payer", i);
            Hash d = Hashes.tagged(HashTag.SIGHASH, Integer.toString(i).getBytes());
            keys.add(k);
            digests.add(d);
            sigs.add(k.sign(d));
        }
        double best = Double.MAX_VALUE;
        for (int round = 0; round < 4; round++) { // round 0 warms the JIT
            long t = threadCpu();
            for (int i = 0; i < n; i++) if (!Ed25519Keys.verify(keys.get(i).publicKey(), digests.get(i), sigs.get(i))) throw new AssertionError("bad signature");
            if (round > 0) best = Math.min(best, (threadCpu() - t) / 1e3 / n);
        }
        return best;
    }

    /** {sign, check} of one batch of {@link #BATCH} votes, µs of CPU. */
    static double[] voteBatchMicros() {
        KeyPair voter = Ed25519Keys.deterministic("floor", "validator", 0);
        int n = 400;
        List<List<VoteEntry>> batches = new ArrayList<>();
        for (int b = 0; b < n; b++) {
            List<VoteEntry> entries = new ArrayList<>();
            for (int i = 0; i < BATCH; i++) entries.add(new VoteEntry(Hashes.tagged(HashTag.TX, (b + ":" + i).getBytes()), TxVerdict.APPROVE));
            batches.add(entries);
        }
        double sign = Double.MAX_VALUE;
        double check = Double.MAX_VALUE;
        for (int round = 0; round < 4; round++) {
            List<TxVoteBatch> signed = new ArrayList<>();
            long t = threadCpu();
            for (List<VoteEntry> e : batches) signed.add(TxVoteBatch.sign(CHAIN, 1, voter, e));
            long s = threadCpu();
            for (TxVoteBatch b : signed) {
                // as received: a fresh object, so the Merkle tree is rebuilt from the entries
                if (!new TxVoteBatch(b.chainId(), b.validatorSetHeight(), b.voter(), b.entries(), b.signature()).signatureValid()) throw new AssertionError();
            }
            long c = threadCpu();
            if (round > 0) {
                sign = Math.min(sign, (s - t) / 1e3 / n);
                check = Math.min(check, (c - s) / 1e3 / n);
            }
        }
        return new double[] {sign, check};
    }

    /**
     * CPU per UTXO row change as the ledger writes them: per database transaction, 1,000 outputs inserted and 1,000
     * outputs marked spent with one array statement each, on a table of 100,000 rows. This JVM's CPU plus the whole
     * PostgreSQL server's (postmaster and every child: the backend, WAL writer, checkpointer).
     */
    static double rowChangeMicros(LocalInfra infra) throws Exception {
        var pg = infra.postgres();
        pg.dropDatabase("floor");
        pg.ensureDatabase("floor");
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl("floor"), pg.user(), pg.password())) {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE utxo (txid BYTEA NOT NULL, idx INT NOT NULL, amount BIGINT NOT NULL, key_hash BYTEA NOT NULL, state SMALLINT NOT NULL, "
                        + "spent_by BYTEA, created_height BIGINT, PRIMARY KEY (txid, idx))");
            }
            long server;
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT pg_backend_pid()")) {
                r.next();
                server = ProcessHandle.of(r.getLong(1)).flatMap(ProcessHandle::parent).orElseThrow().pid();
            }
            Random random = new Random(7);
            List<byte[]> live = new ArrayList<>();
            c.setAutoCommit(false);
            insert(c, random, live, 100_000);
            c.commit();
            double best = Double.MAX_VALUE;
            for (int round = 0; round < 4; round++) {
                int changes = 0;
                long t0 = System.nanoTime();
                long cpu0 = processCpu() + treeCpuNanos(server);
                while (System.nanoTime() - t0 < 3_000_000_000L) {
                    insert(c, random, live, 1_000);
                    spend(c, random, live, 1_000);
                    c.commit();
                    changes += 2_000;
                }
                double us = (processCpu() + treeCpuNanos(server) - cpu0) / 1e3 / changes;
                if (round > 0) best = Math.min(best, us);
            }
            return best;
        }
    }

    private static void insert(Connection c, Random random, List<byte[]> live, int n) throws Exception {
        byte[][] txids = new byte[n][];
        Integer[] idx = new Integer[n];
        Long[] amount = new Long[n];
        byte[][] keys = new byte[n][];
        for (int i = 0; i < n; i++) {
            txids[i] = new byte[32];
            random.nextBytes(txids[i]);
            keys[i] = new byte[32];
            random.nextBytes(keys[i]);
            idx[i] = 0;
            amount[i] = 1_000L + i;
            live.add(txids[i]);
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO utxo (txid, idx, amount, key_hash, state, created_height) "
                + "SELECT t, i, a, k, 0, 1 FROM unnest(?::bytea[], ?::int4[], ?::int8[], ?::bytea[]) AS x(t, i, a, k) ON CONFLICT DO NOTHING")) {
            ps.setArray(1, c.createArrayOf("bytea", txids));
            ps.setArray(2, c.createArrayOf("int4", idx));
            ps.setArray(3, c.createArrayOf("int8", amount));
            ps.setArray(4, c.createArrayOf("bytea", keys));
            ps.executeUpdate();
        }
    }

    private static void spend(Connection c, Random random, List<byte[]> live, int n) throws Exception {
        byte[][] txids = new byte[n][];
        byte[][] by = new byte[n][];
        for (int i = 0; i < n; i++) {
            txids[i] = live.remove(random.nextInt(live.size()));
            by[i] = new byte[32];
            random.nextBytes(by[i]);
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE utxo u SET state = 4, spent_by = x.b FROM unnest(?::bytea[], ?::bytea[]) AS x(t, b) "
                + "WHERE u.txid = x.t AND u.idx = 0")) {
            Array t = c.createArrayOf("bytea", txids);
            ps.setArray(1, t);
            ps.setArray(2, c.createArrayOf("bytea", by));
            if (ps.executeUpdate() != n) throw new AssertionError("not every row spent");
        }
    }

    /**
     * CPU per Kafka record of {@link #BATCH} payments, produced (acks=all, idempotent, as the services' producers) and
     * consumed once, through the stack's real broker: this JVM's CPU (both clients) plus the broker's.
     */
    static double recordMicros(LocalInfra infra) throws Exception {
        var kafka = infra.kafka();
        String topic = "floor.records";
        kafka.createTopics("", List.of(topic));
        byte[] value = new byte[BATCH * PAYMENT_BYTES];
        new Random(3).nextBytes(value);
        Map<String, Object> pc = new HashMap<>(kafka.adminConfig());
        pc.put(ProducerConfig.ACKS_CONFIG, "all");
        pc.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        pc.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        pc.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        Map<String, Object> cc = new HashMap<>(kafka.adminConfig());
        cc.put(ConsumerConfig.GROUP_ID_CONFIG, "floor");
        cc.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        cc.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        cc.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        long broker = kafka.pid();
        double best = Double.MAX_VALUE;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(pc); KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(cc)) {
            consumer.subscribe(List.of(topic));
            for (int round = 0; round < 4; round++) {
                int n = 4_000;
                long cpu0 = processCpu() + treeCpuNanos(broker);
                AtomicLong acked = new AtomicLong();
                for (int i = 0; i < n; i++) producer.send(new ProducerRecord<>(topic, Integer.toString(i % 64).getBytes(), value), (m, e) -> {
                    if (e == null) acked.incrementAndGet();
                });
                producer.flush();
                int received = 0;
                while (received < n) {
                    received += consumer.poll(Duration.ofMillis(500)).count();
                    consumer.commitAsync();
                }
                if (acked.get() != n) throw new AssertionError("records not acknowledged: " + (n - acked.get()));
                double us = (processCpu() + treeCpuNanos(broker) - cpu0) / 1e3 / n;
                if (round > 0) best = Math.min(best, us);
            }
        }
        return best;
    }

    static long threadCpu() {
        return ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
    }

    static long processCpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** CPU of a process and all its live descendants, from /proc (clock ticks). */
    static long treeCpuNanos(long pid) throws IOException {
        long ticks = ticks(pid);
        for (ProcessHandle d : (Iterable<ProcessHandle>) ProcessHandle.of(pid).orElseThrow().descendants()::iterator) ticks += ticks(d.pid());
        return ticks * 1_000_000_000L / TICKS_PER_SECOND;
    }

    private static long ticks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
        } catch (IOException | RuntimeException e) {
            return 0; // gone meanwhile
        }
    }
}
