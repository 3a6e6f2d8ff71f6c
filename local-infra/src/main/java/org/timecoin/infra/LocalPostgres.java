package org.timecoin.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.regex.Pattern;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * A real PostgreSQL server: by default the embedded binaries from Maven Central (zonky, PostgreSQL 18) started on a
 * free loopback port with data under {@code dir}; or an external server when {@code TIMECOIN_POSTGRES_URL} (a JDBC
 * URL of a database this user may create databases from) is set, with {@code TIMECOIN_POSTGRES_USER} and
 * {@code TIMECOIN_POSTGRES_PASSWORD}.
 */
public final class LocalPostgres implements AutoCloseable {
    private static final Pattern DB_NAME = Pattern.compile("[a-z][a-z0-9_]{0,62}");

    private EmbeddedPostgres embedded;
    private final Path dir;
    private final String adminUrl;
    private final String host;
    private final int port;
    private final String user;
    private final String password;

    private LocalPostgres(EmbeddedPostgres embedded, Path dir, String adminUrl, String host, int port, String user, String password) {
        this.embedded = embedded;
        this.dir = dir;
        this.adminUrl = adminUrl;
        this.host = host;
        this.port = port;
        this.user = user;
        this.password = password;
    }

    public static LocalPostgres start(Path dir, Duration timeout) {
        String external = System.getenv("TIMECOIN_POSTGRES_URL");
        if (external != null && !external.isBlank()) return external(external);
        EmbeddedPostgres pg = startEmbedded(dir, FreePorts.pick(), timeout);
        return new LocalPostgres(pg, dir, "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/postgres", "127.0.0.1", pg.getPort(), "postgres", "");
    }

    /** Stops the embedded server and starts it again on the same port with the same data (outage tests). */
    public void restart(Duration timeout) {
        if (embedded == null) throw new IllegalStateException("an external PostgreSQL is not restarted by the project");
        stop();
        embedded = startEmbedded(dir, port, timeout);
    }

    /** Stops the embedded server (it can be started again with {@link #restart}). */
    public void stop() {
        if (embedded == null) return;
        try {
            embedded.close();
        } catch (IOException e) {
            throw new UncheckedIOException("stopping PostgreSQL", e);
        }
    }

    private static EmbeddedPostgres startEmbedded(Path dir, int port, Duration timeout) {
        try {
            Path data = dir.toAbsolutePath().resolve("data");
            Path work = dir.toAbsolutePath().resolve("work");
            Files.createDirectories(work);
            return EmbeddedPostgres.builder()
                    .setPort(port)
                    .setDataDirectory(data)
                    .setCleanDataDirectory(false)
                    .setOverrideWorkingDirectory(work.toFile())
                    .setPGStartupWait(timeout)
                    .setServerConfig("max_connections", "300")
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setOutputRedirector(ProcessBuilder.Redirect.appendTo(dir.resolve("postgres.log").toFile()))
                    .setErrorRedirector(ProcessBuilder.Redirect.appendTo(dir.resolve("postgres.log").toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("embedded PostgreSQL did not start (log: " + dir.resolve("postgres.log") + ")", e);
        }
    }

    /** A server another class loader of this JVM started or attached: used, never stopped, from here. */
    static LocalPostgres attached(String adminUrl, String host, int port, String user, String password) {
        return new LocalPostgres(null, null, adminUrl, host, port, user, password);
    }

    String adminUrl() {
        return adminUrl;
    }

    private static LocalPostgres external(String url) {
        String user = System.getenv().getOrDefault("TIMECOIN_POSTGRES_USER", "postgres");
        String password = System.getenv().getOrDefault("TIMECOIN_POSTGRES_PASSWORD", "");
        var m = Pattern.compile("jdbc:postgresql://([^:/]+)(?::(\\d+))?/.*").matcher(url);
        if (!m.matches()) throw new IllegalArgumentException("TIMECOIN_POSTGRES_URL must look like jdbc:postgresql://host:port/db");
        return new LocalPostgres(null, null, url, m.group(1), m.group(2) == null ? 5432 : Integer.parseInt(m.group(2)), user, password);
    }

    public boolean isEmbedded() {
        return embedded != null;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public String user() {
        return user;
    }

    public String password() {
        return password;
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + host + ":" + port + "/" + database;
    }

    /** The URL form the Vert.x reactive client takes. */
    public String reactiveUrl(String database) {
        return "postgresql://" + host + ":" + port + "/" + database;
    }

    /** A service's login: a role of its own that owns its database and may connect to no other. */
    public record Login(String user, String password) {
    }

    /**
     * Creates the database if it does not exist yet (names: lower-case letters, digits, underscores), owned by a role of
     * the same name that may log in ({@link #login}); no one else may connect to it (CONNECT revoked from PUBLIC), so one
     * service's role cannot read or write another's tables.
     */
    public void ensureDatabase(String name) {
        if (!DB_NAME.matcher(name).matches()) throw new IllegalArgumentException("bad database name: " + name);
        try (Connection c = DriverManager.getConnection(adminUrl, user, password); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT 1 FROM pg_roles WHERE rolname = '" + name + "'")) {
                if (!rs.next()) s.execute("CREATE ROLE " + name + " LOGIN");
            } catch (SQLException e) {
                if (!"42710".equals(e.getSQLState())) throw e; // created concurrently by another process
            }
            s.execute("ALTER ROLE " + name + " LOGIN PASSWORD '" + login(name).password() + "'");
            String owner = null;
            try (ResultSet rs = s.executeQuery("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '" + name + "'")) {
                if (rs.next()) owner = rs.getString(1);
                else s.execute("CREATE DATABASE " + name + " OWNER " + name);
            } catch (SQLException e) {
                if (!"42P04".equals(e.getSQLState())) throw e; // created concurrently by another process
            }
            if (owner != null && !owner.equals(name)) handOver(s, name);
            s.execute("REVOKE ALL ON DATABASE " + name + " FROM PUBLIC");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + name + ": " + e.getMessage(), e);
        }
    }

    /** A database made before each service had its own role (owned by the admin): it and its tables go to the role. */
    private void handOver(Statement admin, String name) throws SQLException {
        admin.execute("ALTER DATABASE " + name + " OWNER TO " + name);
        try (Connection c = DriverManager.getConnection(jdbcUrl(name), user, password); Statement s = c.createStatement()) {
            s.execute("DO $$ DECLARE r record; BEGIN FOR r IN SELECT c.oid::regclass AS rel FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    + "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'S', 'v', 'm') AND pg_get_userbyid(c.relowner) <> '" + name + "' LOOP "
                    + "EXECUTE 'ALTER TABLE ' || r.rel || ' OWNER TO " + name + "'; END LOOP; END $$");
        }
    }

    /** The login of the role that owns database {@code name} (its password derives from the admin's, so it is stable). */
    public Login login(String name) {
        return new Login(name, LocalSecrets.derivedPassword(password, name, "timecoin-local-role"));
    }

    /** Drops the database if it exists (closing its connections first). */
    public void dropDatabase(String name) {
        if (!DB_NAME.matcher(name).matches()) throw new IllegalArgumentException("bad database name: " + name);
        try (Connection c = DriverManager.getConnection(adminUrl, user, password); Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot drop database " + name + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        stop();
        embedded = null;
    }
}
