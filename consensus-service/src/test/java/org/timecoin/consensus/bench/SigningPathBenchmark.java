package org.timecoin.consensus.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;

import org.hibernate.boot.registry.StandardServiceRegistry;
import org.hibernate.cfg.Configuration;
import org.hibernate.reactive.mutiny.Mutiny;
import org.hibernate.reactive.provider.ReactiveServiceRegistryBuilder;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.timecoin.consensus.ConsensusStore;
import org.timecoin.consensus.core.Action;
import org.timecoin.infra.LocalInfraTestResource;
import org.timecoin.infra.LocalPostgres;
import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.model.ConsensusMessage;
import org.timecoin.protocol.model.SignedConsensusMessage;

import io.agroal.api.AgroalDataSource;
import io.agroal.api.configuration.supplier.AgroalDataSourceConfigurationSupplier;
import io.agroal.api.security.NamePrincipal;
import io.agroal.api.security.SimplePassword;

/**
 * The signing path's one database write — a validator records what it signs before the message leaves the node
 * ({@link ConsensusStore#save}) — through the service's JDBC store and through Hibernate Reactive (what Panache runs on),
 * one committed row per signature, each waited for as the core waits for it. Same PostgreSQL, same table, same rows
 * (asserted). Runs only with {@code -Dtimecoin.bench=true}:
 * {@code ./mvnw -pl consensus-service -am test -Dtest=SigningPathBenchmark -Dsurefire.failIfNoSpecifiedTests=false -Dtimecoin.bench=true}
 */
class SigningPathBenchmark {
    static final int CHAIN = 3;
    static final int PER_ROUND = 2_000;
    static final Ed25519Keys.KeyPair SIGNER = Ed25519Keys.deterministic("signing-bench", "validator", 0);

    @Entity
    @Table(name = "signed_message")
    @IdClass(SignedKey.class)
    public static class SignedRow {
        @Id
        public long height;
        @Id
        public int round;
        @Id
        public short type;
        public byte[] message;
        public byte[] prepared;
    }

    public static class SignedKey implements Serializable {
        public long height;
        public int round;
        public short type;

        @Override
        public boolean equals(Object o) {
            return o instanceof SignedKey k && height == k.height && round == k.round && type == k.type;
        }

        @Override
        public int hashCode() {
            return Long.hashCode(height) * 31 + round * 7 + type;
        }
    }

    @Test
    void jdbcAgainstHibernateReactiveOnTheSigningPath() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("timecoin.bench"), "run with -Dtimecoin.bench=true");
        LocalPostgres pg = LocalInfraTestResource.postgres();
        String schema = new String(SigningPathBenchmark.class.getResourceAsStream("/db/migration/V1__signed_messages.sql").readAllBytes(), StandardCharsets.UTF_8);
        String jdbcDb = fresh(pg, "signing_bench_jdbc", schema);
        String hrDb = fresh(pg, "signing_bench_hr", schema);

        long signNs = 0;
        List<SignedConsensusMessage> messages = new ArrayList<>();
        for (int i = 0; i < 3 * PER_ROUND; i++) {
            ConsensusMessage m = new ConsensusMessage.Prepare(CHAIN, i + 1, 0, SIGNER.publicKey(), hash(i));
            long s = System.nanoTime();
            messages.add(SignedConsensusMessage.sign(m, SIGNER));
            signNs += System.nanoTime() - s;
        }
        System.out.printf("Ed25519 signature of a consensus message: %.1f µs mean over %d%n", signNs / 1e3 / messages.size(), messages.size());

        try (AgroalDataSource ds = AgroalDataSource.from(new AgroalDataSourceConfigurationSupplier().connectionPoolConfiguration(cp -> cp.maxSize(4)
                .connectionFactoryConfiguration(cf -> cf.jdbcUrl(pg.jdbcUrl(jdbcDb)).principal(new NamePrincipal(pg.user())).credential(new SimplePassword(pg.password())))))) {
            ConsensusStore store = new ConsensusStore(ds);
            for (int round = 0; round < 3; round++) {
                long[] ns = new long[PER_ROUND];
                for (int i = 0; i < PER_ROUND; i++) {
                    Action.PersistSigned p = new Action.PersistSigned(messages.get(round * PER_ROUND + i), null);
                    long s = System.nanoTime();
                    store.save(p);
                    ns[i] = System.nanoTime() - s;
                }
                print("JDBC (ConsensusStore.save, Agroal pool)", round, ns);
            }
        }

        Configuration cfg = new Configuration().addAnnotatedClass(SignedRow.class);
        Properties p = new Properties();
        p.put("jakarta.persistence.jdbc.url", pg.jdbcUrl(hrDb));
        p.put("jakarta.persistence.jdbc.user", pg.user());
        p.put("jakarta.persistence.jdbc.password", pg.password());
        p.put("hibernate.connection.pool_size", "4");
        cfg.setProperties(p);
        StandardServiceRegistry registry = new ReactiveServiceRegistryBuilder().applySettings(cfg.getProperties()).build();
        Mutiny.SessionFactory sf = cfg.buildSessionFactory(registry).unwrap(Mutiny.SessionFactory.class);
        try {
            for (int round = 0; round < 3; round++) {
                long[] ns = new long[PER_ROUND];
                for (int i = 0; i < PER_ROUND; i++) {
                    SignedConsensusMessage m = messages.get(round * PER_ROUND + i);
                    SignedRow row = new SignedRow();
                    row.height = m.message().height();
                    row.round = m.message().round();
                    row.type = (short) m.message().type();
                    row.message = m.toBytes();
                    long s = System.nanoTime();
                    sf.withTransaction(session -> session.persist(row)).await().indefinitely();
                    ns[i] = System.nanoTime() - s;
                }
                print("Hibernate Reactive (session persist, committed)", round, ns);
            }
        } finally {
            sf.close();
        }
        assertThat(rows(pg, hrDb)).as("both paths wrote the same rows").isEqualTo(rows(pg, jdbcDb)).isEqualTo(3L * PER_ROUND);
    }

    static Hash hash(int i) {
        byte[] b = new byte[32];
        b[0] = (byte) i;
        b[1] = (byte) (i >> 8);
        b[2] = (byte) (i >> 16);
        return new Hash(b);
    }

    static String fresh(LocalPostgres pg, String db, String schema) throws Exception {
        pg.dropDatabase(db);
        pg.ensureDatabase(db);
        try (Connection c = java.sql.DriverManager.getConnection(pg.jdbcUrl(db), pg.user(), pg.password()); Statement s = c.createStatement()) {
            s.execute(schema);
        }
        return db;
    }

    static long rows(LocalPostgres pg, String db) throws Exception {
        try (Connection c = java.sql.DriverManager.getConnection(pg.jdbcUrl(db), pg.user(), pg.password()); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT count(*) FROM signed_message")) {
            r.next();
            return r.getLong(1);
        }
    }

    static void print(String path, int round, long[] ns) {
        long[] sorted = ns.clone();
        Arrays.sort(sorted);
        long total = Arrays.stream(ns).sum();
        System.out.printf("%-50s round %d: %d signed rows, mean %.0f µs, p50 %.0f µs, p99 %.0f µs, %.0f rows/s%n", path, round + 1, ns.length, total / 1e3 / ns.length,
                sorted[ns.length / 2] / 1e3, sorted[ns.length * 99 / 100] / 1e3, ns.length / (total / 1e9));
    }
}
