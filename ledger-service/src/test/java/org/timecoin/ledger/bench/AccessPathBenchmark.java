package org.timecoin.ledger.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import jakarta.persistence.EmbeddedId;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import org.hibernate.boot.registry.StandardServiceRegistry;
import org.hibernate.cfg.Configuration;
import org.hibernate.reactive.mutiny.Mutiny;
import org.hibernate.reactive.provider.ReactiveServiceRegistryBuilder;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.ds.PGSimpleDataSource;
import org.timecoin.infra.LocalPostgres;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.Block;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxInput;
import org.timecoin.protocol.model.TxOutput;
import org.timecoin.protocol.rules.TransactionRules;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

/**
 * Issue #3's access-path comparison: the UTXO changes of one block (outputs inserted, inputs marked spent, transaction
 * rows inserted) written in one database transaction by each way of reaching PostgreSQL from Java, on identical fresh
 * databases, side by side in one run (fsync on). Every path must leave exactly the same state (asserted), so the
 * figures compare like with like. No validation here: {@link LedgerBenchmark} measures the service's full apply.
 * Runs only with {@code -Dtimecoin.bench=true}:
 * {@code ./mvnw -pl ledger-service -am test -Dtest=AccessPathBenchmark -Dsurefire.failIfNoSpecifiedTests=false -Dtimecoin.bench=true}
 */
class AccessPathBenchmark {

    /** The block's changes as column arrays, built once and handed to every path. */
    record Changes(List<byte[]> oTxid, List<Integer> oIdx, List<Long> oAmount, List<byte[]> oKey,
                   List<byte[]> sTxid, List<Integer> sIdx, List<byte[]> sBy, List<Long> sAmount, List<byte[]> sKey,
                   List<byte[]> tTxid, List<byte[]> tBody) {
        static Changes of(Block block, byte[] preloadedKey) {
            Changes c = new Changes(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>(),
                    new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
            for (Transaction t : block.transactions()) {
                for (int i = 0; i < t.outputs().size(); i++) {
                    TxOutput o = t.outputs().get(i);
                    c.oTxid.add(t.txid().toByteArray());
                    c.oIdx.add(i);
                    c.oAmount.add(o.amount().sat());
                    c.oKey.add(o.keyHash().toByteArray());
                }
                if (t.isReward()) continue;
                for (TxInput in : t.inputs()) {
                    c.sTxid.add(in.previous().txid().toByteArray());
                    c.sIdx.add(in.previous().index());
                    c.sBy.add(t.txid().toByteArray());
                    c.sAmount.add(100_000_000L); // what LedgerBenchmark preloads (the stateless update writes whole rows)
                    c.sKey.add(preloadedKey);
                }
                c.tTxid.add(t.txid().toByteArray());
                c.tBody.add(t.toBytes());
            }
            return c;
        }

        int count() {
            return oTxid.size() + sTxid.size() + tTxid.size();
        }
    }

    interface AccessPath {
        void apply(LocalPostgres pg, String database, Changes c) throws Exception;
    }

    static final String INSERT_OUTPUT = "INSERT INTO utxo (txid, idx, amount, key_hash, state, created_height) VALUES (?, ?, ?, ?, 0, 1)";
    static final String SPEND = "UPDATE utxo SET state = 4, spent_height = 1, spent_by = ? WHERE txid = ? AND idx = ?";
    static final String INSERT_TX = "INSERT INTO tx (txid, body, status, block_height) VALUES (?, ?, 3, 1)";

    static PGSimpleDataSource dataSource(LocalPostgres pg, String database, boolean rewriteBatchedInserts) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(pg.jdbcUrl(database));
        ds.setUser(pg.user());
        ds.setPassword(pg.password());
        ds.setReWriteBatchedInserts(rewriteBatchedInserts);
        return ds;
    }

    // --- JDBC (pgjdbc), on a worker thread -------------------------------------------------------------------------

    /** One statement per row, each sent and answered before the next (the naive path of the issue). */
    static void jdbcRowByRow(LocalPostgres pg, String db, Changes c) throws Exception {
        jdbcPerRow(pg, db, c, false);
    }

    /** JDBC batches ({@code addBatch}/{@code executeBatch}); pgjdbc rewrites the inserts into multi-row VALUES. */
    static void jdbcBatch(LocalPostgres pg, String db, Changes c) throws Exception {
        jdbcPerRow(pg, db, c, true);
    }

    /** The three per-row statements, bound once per row: executed at once, or added to a batch sent per statement. */
    private static void jdbcPerRow(LocalPostgres pg, String db, Changes c, boolean batched) throws Exception {
        try (Connection con = dataSource(pg, db, batched).getConnection()) {
            con.setAutoCommit(false);
            try (PreparedStatement ins = con.prepareStatement(INSERT_OUTPUT); PreparedStatement spend = con.prepareStatement(SPEND);
                 PreparedStatement tx = con.prepareStatement(INSERT_TX)) {
                for (int i = 0; i < c.oTxid.size(); i++) {
                    ins.setBytes(1, c.oTxid.get(i));
                    ins.setInt(2, c.oIdx.get(i));
                    ins.setLong(3, c.oAmount.get(i));
                    ins.setBytes(4, c.oKey.get(i));
                    row(ins, batched);
                }
                for (int i = 0; i < c.sTxid.size(); i++) {
                    spend.setBytes(1, c.sBy.get(i));
                    spend.setBytes(2, c.sTxid.get(i));
                    spend.setInt(3, c.sIdx.get(i));
                    row(spend, batched);
                }
                for (int i = 0; i < c.tTxid.size(); i++) {
                    tx.setBytes(1, c.tTxid.get(i));
                    tx.setBytes(2, c.tBody.get(i));
                    row(tx, batched);
                }
                if (batched) {
                    ins.executeBatch();
                    spend.executeBatch();
                    tx.executeBatch();
                }
            }
            con.commit();
        }
    }

    private static void row(PreparedStatement ps, boolean batched) throws java.sql.SQLException {
        if (batched) ps.addBatch();
        else ps.executeUpdate();
    }

    /** One statement per kind of change over arrays ({@code unnest}): the ledger service's path. */
    static void jdbcUnnest(LocalPostgres pg, String db, Changes c) throws Exception {
        try (Connection con = dataSource(pg, db, false).getConnection()) {
            con.setAutoCommit(false);
            try (PreparedStatement ps = con.prepareStatement("INSERT INTO utxo (txid, idx, amount, key_hash, state, created_height) "
                    + "SELECT t, i, a, k, 0, 1 FROM unnest(?::bytea[], ?::int4[], ?::int8[], ?::bytea[]) AS x(t, i, a, k)")) {
                ps.setArray(1, con.createArrayOf("bytea", c.oTxid.toArray(new byte[0][])));
                ps.setArray(2, con.createArrayOf("int4", c.oIdx.toArray(new Integer[0])));
                ps.setArray(3, con.createArrayOf("int8", c.oAmount.toArray(new Long[0])));
                ps.setArray(4, con.createArrayOf("bytea", c.oKey.toArray(new byte[0][])));
                ps.executeUpdate();
            }
            try (PreparedStatement ps = con.prepareStatement("UPDATE utxo u SET state = 4, spent_height = 1, spent_by = x.b "
                    + "FROM unnest(?::bytea[], ?::int4[], ?::bytea[]) AS x(t, i, b) WHERE u.txid = x.t AND u.idx = x.i")) {
                ps.setArray(1, con.createArrayOf("bytea", c.sTxid.toArray(new byte[0][])));
                ps.setArray(2, con.createArrayOf("int4", c.sIdx.toArray(new Integer[0])));
                ps.setArray(3, con.createArrayOf("bytea", c.sBy.toArray(new byte[0][])));
                ps.executeUpdate();
            }
            try (PreparedStatement ps = con.prepareStatement("INSERT INTO tx (txid, body, status, block_height) SELECT t, b, 3, 1 FROM unnest(?::bytea[], ?::bytea[]) AS x(t, b)")) {
                ps.setArray(1, con.createArrayOf("bytea", c.tTxid.toArray(new byte[0][])));
                ps.setArray(2, con.createArrayOf("bytea", c.tBody.toArray(new byte[0][])));
                ps.executeUpdate();
            }
            con.commit();
        }
    }

    /** Binary COPY straight into utxo and tx; the spends are copied into a temporary table and applied by one UPDATE … FROM. */
    static void jdbcCopy(LocalPostgres pg, String db, Changes c) throws Exception {
        try (Connection con = dataSource(pg, db, false).getConnection()) {
            con.setAutoCommit(false);
            var copy = con.unwrap(PGConnection.class).getCopyAPI();
            BinaryCopy outputs = new BinaryCopy();
            for (int i = 0; i < c.oTxid.size(); i++) {
                outputs.row(6).bytes(c.oTxid.get(i)).int4(c.oIdx.get(i)).int8(c.oAmount.get(i)).bytes(c.oKey.get(i)).int2((short) 0).int8(1);
            }
            copy.copyIn("COPY utxo (txid, idx, amount, key_hash, state, created_height) FROM STDIN (FORMAT binary)", outputs.finish());
            try (Statement s = con.createStatement()) {
                s.execute("CREATE TEMP TABLE spend_stage (t bytea, i int4, b bytea) ON COMMIT DROP");
            }
            BinaryCopy spends = new BinaryCopy();
            for (int i = 0; i < c.sTxid.size(); i++) spends.row(3).bytes(c.sTxid.get(i)).int4(c.sIdx.get(i)).bytes(c.sBy.get(i));
            copy.copyIn("COPY spend_stage FROM STDIN (FORMAT binary)", spends.finish());
            try (Statement s = con.createStatement()) {
                s.execute("ANALYZE spend_stage");
                s.executeUpdate("UPDATE utxo u SET state = 4, spent_height = 1, spent_by = x.b FROM spend_stage x WHERE u.txid = x.t AND u.idx = x.i");
            }
            BinaryCopy txs = new BinaryCopy();
            for (int i = 0; i < c.tTxid.size(); i++) txs.row(4).bytes(c.tTxid.get(i)).bytes(c.tBody.get(i)).int2((short) 3).int8(1);
            copy.copyIn("COPY tx (txid, body, status, block_height) FROM STDIN (FORMAT binary)", txs.finish());
            con.commit();
        }
    }

    /** PostgreSQL's binary COPY format: signature, flags, extension length, then per row a field count and length-prefixed fields. */
    static final class BinaryCopy {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream(1 << 20);
        private final DataOutputStream out = new DataOutputStream(bytes);

        BinaryCopy() throws IOException {
            out.write(new byte[] {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0});
            out.writeInt(0);
            out.writeInt(0);
        }

        BinaryCopy row(int fields) throws IOException {
            out.writeShort(fields);
            return this;
        }

        BinaryCopy bytes(byte[] b) throws IOException {
            out.writeInt(b.length);
            out.write(b);
            return this;
        }

        BinaryCopy int2(short v) throws IOException {
            out.writeInt(2);
            out.writeShort(v);
            return this;
        }

        BinaryCopy int4(int v) throws IOException {
            out.writeInt(4);
            out.writeInt(v);
            return this;
        }

        BinaryCopy int8(long v) throws IOException {
            out.writeInt(8);
            out.writeLong(v);
            return this;
        }

        java.io.InputStream finish() throws IOException {
            out.writeShort(-1);
            out.flush();
            return new java.io.ByteArrayInputStream(bytes.toByteArray());
        }
    }

    // --- Vert.x reactive PostgreSQL client -----------------------------------------------------------------------

    static Pool vertxPool(Vertx vertx, LocalPostgres pg, String db) {
        PgConnectOptions options = new PgConnectOptions().setHost(pg.host()).setPort(pg.port()).setDatabase(db).setUser(pg.user())
                .setPassword(pg.password()).setPipeliningLimit(256);
        return PgBuilder.pool().with(new PoolOptions().setMaxSize(1)).connectingTo(options).using(vertx).build();
    }

    static <T> T await(io.vertx.core.Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get();
    }

    /** {@code executeBatch}: one prepared statement, all rows pipelined in one round trip per kind. */
    static void vertxBatch(Vertx vertx, LocalPostgres pg, String db, Changes c) throws Exception {
        Pool pool = vertxPool(vertx, pg, db);
        try {
            await(pool.withTransaction(con -> {
                List<Tuple> outs = new ArrayList<>(c.oTxid.size());
                for (int i = 0; i < c.oTxid.size(); i++) {
                    outs.add(Tuple.of(Buffer.buffer(c.oTxid.get(i)), c.oIdx.get(i), c.oAmount.get(i), Buffer.buffer(c.oKey.get(i))));
                }
                List<Tuple> spends = new ArrayList<>(c.sTxid.size());
                for (int i = 0; i < c.sTxid.size(); i++) spends.add(Tuple.of(Buffer.buffer(c.sBy.get(i)), Buffer.buffer(c.sTxid.get(i)), c.sIdx.get(i)));
                List<Tuple> txs = new ArrayList<>(c.tTxid.size());
                for (int i = 0; i < c.tTxid.size(); i++) txs.add(Tuple.of(Buffer.buffer(c.tTxid.get(i)), Buffer.buffer(c.tBody.get(i))));
                return con.preparedQuery("INSERT INTO utxo (txid, idx, amount, key_hash, state, created_height) VALUES ($1, $2, $3, $4, 0, 1)").executeBatch(outs)
                        .compose(r -> con.preparedQuery("UPDATE utxo SET state = 4, spent_height = 1, spent_by = $1 WHERE txid = $2 AND idx = $3").executeBatch(spends))
                        .compose(r -> con.preparedQuery("INSERT INTO tx (txid, body, status, block_height) VALUES ($1, $2, 3, 1)").executeBatch(txs));
            }));
        } finally {
            await(pool.close());
        }
    }

    /** The same three array statements as the service's JDBC path, sent by the reactive client. */
    static void vertxUnnest(Vertx vertx, LocalPostgres pg, String db, Changes c) throws Exception {
        Pool pool = vertxPool(vertx, pg, db);
        try {
            await(pool.withTransaction(con -> {
                SqlClient sql = con;
                return sql.preparedQuery("INSERT INTO utxo (txid, idx, amount, key_hash, state, created_height) "
                                + "SELECT t, i, a, k, 0, 1 FROM unnest($1::bytea[], $2::int4[], $3::int8[], $4::bytea[]) AS x(t, i, a, k)")
                        .execute(values(buffers(c.oTxid), c.oIdx.toArray(Integer[]::new), c.oAmount.toArray(Long[]::new), buffers(c.oKey)))
                        .compose(r -> sql.preparedQuery("UPDATE utxo u SET state = 4, spent_height = 1, spent_by = x.b "
                                        + "FROM unnest($1::bytea[], $2::int4[], $3::bytea[]) AS x(t, i, b) WHERE u.txid = x.t AND u.idx = x.i")
                                .execute(values(buffers(c.sTxid), c.sIdx.toArray(Integer[]::new), buffers(c.sBy))))
                        .compose(r -> sql.preparedQuery("INSERT INTO tx (txid, body, status, block_height) SELECT t, b, 3, 1 FROM unnest($1::bytea[], $2::bytea[]) AS x(t, b)")
                                .execute(values(buffers(c.tTxid), buffers(c.tBody))));
            }));
        } finally {
            await(pool.close());
        }
    }

    /** A tuple of array parameters, one per argument ({@code Tuple.of} would spread a lone array as varargs). */
    static Tuple values(Object... arrays) {
        Tuple t = Tuple.tuple();
        for (Object a : arrays) t.addValue(a);
        return t;
    }

    static Buffer[] buffers(List<byte[]> values) {
        return values.stream().map(Buffer::buffer).toArray(Buffer[]::new);
    }

    // --- Hibernate Reactive (what Panache runs on), over the same Vert.x client --------------------------------------

    @Embeddable
    public static class UtxoKey implements Serializable {
        @Column(name = "txid")
        public byte[] txid;
        @Column(name = "idx")
        public int idx;

        public UtxoKey() {
        }

        UtxoKey(byte[] txid, int idx) {
            this.txid = txid;
            this.idx = idx;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof UtxoKey k && idx == k.idx && Arrays.equals(txid, k.txid);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(txid) + idx;
        }
    }

    @Entity
    @Table(name = "utxo")
    public static class UtxoRow {
        @EmbeddedId
        public UtxoKey id;
        public long amount;
        @Column(name = "key_hash")
        public byte[] keyHash;
        public short state;
        @Column(name = "spent_by")
        public byte[] spentBy;
        @Column(name = "created_height")
        public Long createdHeight;
        @Column(name = "spent_height")
        public Long spentHeight;
    }

    @Entity
    @Table(name = "tx")
    public static class TxRow {
        @Id
        public byte[] txid;
        public byte[] body;
        public short status;
        @Column(name = "block_height")
        public Long blockHeight;
        @Column(name = "updated_at", insertable = false, updatable = false)
        public java.time.OffsetDateTime updatedAt;
    }

    static Mutiny.SessionFactory hibernate(LocalPostgres pg, String db) {
        Configuration cfg = new Configuration().addAnnotatedClass(UtxoRow.class).addAnnotatedClass(TxRow.class);
        Properties p = new Properties();
        p.put("jakarta.persistence.jdbc.url", pg.jdbcUrl(db));
        p.put("jakarta.persistence.jdbc.user", pg.user());
        p.put("jakarta.persistence.jdbc.password", pg.password());
        p.put("hibernate.connection.pool_size", "1");
        p.put("hibernate.jdbc.batch_size", "1000");
        p.put("hibernate.order_inserts", "true");
        p.put("hibernate.order_updates", "true");
        p.put("hibernate.show_sql", "false");
        cfg.setProperties(p);
        StandardServiceRegistry registry = new ReactiveServiceRegistryBuilder().applySettings(cfg.getProperties()).build();
        return cfg.buildSessionFactory(registry).unwrap(Mutiny.SessionFactory.class);
    }

    static UtxoRow output(Changes c, int i) {
        UtxoRow r = new UtxoRow();
        r.id = new UtxoKey(c.oTxid.get(i), c.oIdx.get(i));
        r.amount = c.oAmount.get(i);
        r.keyHash = c.oKey.get(i);
        r.createdHeight = 1L;
        return r;
    }

    static TxRow txRow(Changes c, int i) {
        TxRow t = new TxRow();
        t.txid = c.tTxid.get(i);
        t.body = c.tBody.get(i);
        t.status = 3;
        t.blockHeight = 1L;
        return t;
    }

    /**
     * A session as Panache uses it: load the inputs by id (1,000 per query: one query for all 10,000 composite ids
     * exceeds PostgreSQL's expression depth), change them, persist the new rows, flush in batches of 1,000.
     */
    static void hibernateSession(Mutiny.SessionFactory sf, Changes c) {
        sf.withTransaction(s -> {
            s.setBatchSize(1000);
            io.smallrye.mutiny.Uni<Void> work = io.smallrye.mutiny.Uni.createFrom().voidItem();
            for (int from = 0; from < c.sTxid.size(); from += 1000) {
                int start = from;
                int end = Math.min(from + 1000, c.sTxid.size());
                Object[] ids = new Object[end - start];
                for (int i = start; i < end; i++) ids[i - start] = new UtxoKey(c.sTxid.get(i), c.sIdx.get(i));
                work = work.chain(() -> s.find(UtxoRow.class, ids)).invoke(inputs -> {
                    for (int i = 0; i < inputs.size(); i++) {
                        UtxoRow r = inputs.get(i);
                        r.state = 4;
                        r.spentHeight = 1L;
                        r.spentBy = c.sBy.get(start + i);
                    }
                }).replaceWithVoid();
            }
            List<Object> fresh = new ArrayList<>(c.oTxid.size() + c.tTxid.size());
            for (int i = 0; i < c.oTxid.size(); i++) fresh.add(output(c, i));
            for (int i = 0; i < c.tTxid.size(); i++) fresh.add(txRow(c, i));
            return work.chain(() -> s.persistAll(fresh.toArray()));
        }).await().indefinitely();
    }

    /** A stateless session: no loading or dirty checking, rows inserted and updated whole, in batches of 1,000. */
    static void hibernateStateless(Mutiny.SessionFactory sf, Changes c) {
        List<Object> outs = new ArrayList<>();
        for (int i = 0; i < c.oTxid.size(); i++) outs.add(output(c, i));
        List<Object> spent = new ArrayList<>();
        for (int i = 0; i < c.sTxid.size(); i++) {
            UtxoRow r = new UtxoRow();
            r.id = new UtxoKey(c.sTxid.get(i), c.sIdx.get(i));
            r.amount = c.sAmount.get(i);
            r.keyHash = c.sKey.get(i);
            r.state = 4;
            r.spentBy = c.sBy.get(i);
            r.createdHeight = 0L;
            r.spentHeight = 1L;
            spent.add(r);
        }
        List<Object> txs = new ArrayList<>();
        for (int i = 0; i < c.tTxid.size(); i++) txs.add(txRow(c, i));
        sf.withStatelessTransaction(s -> s.insertAll(1000, outs.toArray()).chain(() -> s.updateAll(1000, spent.toArray()))
                .chain(() -> s.insertAll(1000, txs.toArray()))).await().indefinitely();
    }

    static void withHibernate(LocalPostgres pg, String db, java.util.function.Consumer<Mutiny.SessionFactory> work) {
        Mutiny.SessionFactory sf = hibernate(pg, db);
        try {
            work.accept(sf);
        } finally {
            sf.close();
        }
    }

    // -------------------------------------------------------------------------------------------------------------

    /** What every path must have left: counts and sums over both tables. */
    static String state(LocalPostgres pg, String db) throws Exception {
        try (Connection con = dataSource(pg, db, false).getConnection(); Statement s = con.createStatement();
             ResultSet r = s.executeQuery("SELECT (SELECT count(*) || '/' || sum(amount) || '/' || count(*) FILTER (WHERE state = 4) || '/' "
                     + "|| count(spent_by) || '/' || sum(created_height) FROM utxo) || ' tx ' || (SELECT count(*) || '/' || sum(length(body)) FROM tx WHERE status = 3)")) {
            r.next();
            return r.getString(1);
        }
    }

    @Test
    void printFigures() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("timecoin.bench"), "run with -Dtimecoin.bench=true");
        Path dir = Path.of(System.getProperty("timecoin.infra.dir", "target/local-infra")).resolve("bench-" + UUID.randomUUID());
        Vertx vertx = Vertx.vertx();
        try (LocalPostgres pg = LocalPostgres.start(dir, java.time.Duration.ofSeconds(60))) {
            int k = Integer.getInteger("bench.k", 10_000);
            int rounds = Integer.getInteger("bench.rounds", 3);
            long fee = TransactionRules.minimumFee(TransactionRules.transferSize(1, 2)).sat();
            Block block = LedgerBenchmark.block(LedgerBenchmark.transactions(0, k), fee * k);
            Changes c = Changes.of(block, LedgerBenchmark.G.fundedKeys().get(0).keyHash().toByteArray());
            System.out.printf("access paths: a %d-transaction block = %d UTXO changes (%d outputs inserted, %d inputs spent, %d transaction rows), "
                    + "one database transaction each, fresh database of %d UTXOs each, fsync on, %d rounds%n", k, c.count(), c.oTxid.size(),
                    c.sTxid.size(), c.tTxid.size(), LedgerBenchmark.PRELOADED, rounds);

            Map<String, AccessPath> paths = new LinkedHashMap<>();
            paths.put("JDBC, one row per statement", AccessPathBenchmark::jdbcRowByRow);
            paths.put("JDBC, executeBatch (rewritten multi-row inserts)", AccessPathBenchmark::jdbcBatch);
            paths.put("JDBC, unnest arrays (the service's path)", AccessPathBenchmark::jdbcUnnest);
            paths.put("JDBC, binary COPY (+ staged UPDATE for spends)", AccessPathBenchmark::jdbcCopy);
            paths.put("Vert.x pg client, executeBatch (pipelined)", (p, db, ch) -> vertxBatch(vertx, p, db, ch));
            paths.put("Vert.x pg client, unnest arrays", (p, db, ch) -> vertxUnnest(vertx, p, db, ch));
            paths.put("Hibernate Reactive session (Panache's way), batch 1000", (p, db, ch) -> withHibernate(p, db, sf -> hibernateSession(sf, ch)));
            paths.put("Hibernate Reactive stateless session, batch 1000", (p, db, ch) -> withHibernate(p, db, sf -> hibernateStateless(sf, ch)));

            Map<String, long[]> times = new LinkedHashMap<>();
            String expected = null;
            for (int round = 0; round < rounds; round++) {
                int n = 0;
                for (var e : paths.entrySet()) {
                    String db = "access_" + n++;
                    LedgerBenchmark.database(pg, db);
                    String before = state(pg, db);
                    long t0 = System.nanoTime();
                    e.getValue().apply(pg, db, c);
                    long ns = System.nanoTime() - t0;
                    String after = state(pg, db);
                    assertThat(after).as(e.getKey()).isNotEqualTo(before);
                    if (expected == null) expected = after;
                    assertThat(after).as("state left by " + e.getKey()).isEqualTo(expected);
                    times.computeIfAbsent(e.getKey(), x -> new long[rounds])[round] = ns;
                }
            }
            long rowNs = Arrays.stream(times.get("JDBC, one row per statement")).skip(rounds > 1 ? 1 : 0).min().orElseThrow();
            System.out.printf("%-58s %10s %14s %9s   (all rounds, ms)%n", "path", "best ms", "changes/s", "vs rows");
            for (var e : times.entrySet()) {
                long best = Arrays.stream(e.getValue()).skip(rounds > 1 ? 1 : 0).min().orElseThrow(); // round 1 warms the JIT
                System.out.printf("%-58s %10.0f %14.0f %8.1fx   %s%n", e.getKey(), best / 1e6, c.count() / (best / 1e9), (double) rowNs / best,
                        Arrays.stream(e.getValue()).mapToObj(v -> String.format("%.0f", v / 1e6)).toList());
            }
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get();
        }
    }
}
