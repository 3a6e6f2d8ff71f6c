package org.timecoin.infra;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Starts one real Kafka broker for a test JVM, and one real PostgreSQL when a test class names a database (both shared
 * by every test class of the module), and points the service at them: a service whose tests use no database (the
 * gateway) starts no PostgreSQL. Declared per test class ({@code @WithTestResource}). Init args: {@code database}, the
 * database to create and configure as the JDBC datasource (none if absent); {@code fresh=true} to drop and recreate it
 * first (tests that must not see an earlier run's rows); {@code reactive=true} to configure it for the reactive client
 * as well. Every start also gets its own Kafka topic prefix ({@code timecoin.topic.prefix}), so records of earlier runs
 * are never consumed, and a Kafka user allowed only that prefix; a test's own clients log in as the admin
 * ({@code kafka().adminConfig()}). The infrastructure stops when the test JVM ends.
 */
public class LocalInfraTestResource implements QuarkusTestResourceLifecycleManager {
    private static LocalKafka kafka;
    private static LocalPostgres postgres;
    private String database;
    private boolean reactive;
    private boolean fresh;

    // Quarkus loads this class again for every test profile (a new class loader): the endpoints of the JVM's one
    // broker and server travel in system properties, so a second class loader attaches instead of starting another.
    private static final String SHARED_KAFKA = "timecoin.infra.shared.kafka";
    private static final String SHARED_POSTGRES = "timecoin.infra.shared.postgres";

    private static Path dir() {
        return Path.of(System.getProperty("timecoin.infra.dir", "target/local-infra"));
    }

    /** The JVM's broker, started on first use. */
    public static synchronized LocalKafka kafka() {
        if (kafka != null) return kafka;
        String shared = System.getProperty(SHARED_KAFKA);
        if (shared != null) {
            String[] f = shared.split("\n", -1);
            kafka = LocalKafka.attached(Integer.parseInt(f[0]), f[1]);
            return kafka;
        }
        LocalKafka started = LocalKafka.start(dir().resolve("kafka"), LocalInfra.START_TIMEOUT);
        kafka = started;
        Runtime.getRuntime().addShutdownHook(new Thread(started::close, "local-kafka-stop"));
        System.setProperty(SHARED_KAFKA, started.port() + "\n" + started.adminPassword());
        return kafka;
    }

    /** The JVM's PostgreSQL, started on first use (a test that needs a database of its own creates it here). */
    public static synchronized LocalPostgres postgres() {
        if (postgres != null) return postgres;
        String shared = System.getProperty(SHARED_POSTGRES);
        if (shared != null) {
            String[] f = shared.split("\n", -1);
            postgres = LocalPostgres.attached(f[0], f[1], Integer.parseInt(f[2]), f[3], f[4]);
            return postgres;
        }
        LocalPostgres pg = LocalPostgres.start(dir().resolve("postgres"), LocalInfra.START_TIMEOUT);
        postgres = pg;
        Runtime.getRuntime().addShutdownHook(new Thread(pg::close, "local-postgres-stop"));
        System.setProperty(SHARED_POSTGRES, String.join("\n", pg.adminUrl(), pg.host(), Integer.toString(pg.port()), pg.user(), pg.password()));
        return postgres;
    }

    @Override
    public void init(Map<String, String> initArgs) {
        database = initArgs.get("database");
        reactive = Boolean.parseBoolean(initArgs.get("reactive"));
        fresh = Boolean.parseBoolean(initArgs.get("fresh"));
    }

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>();
        config.put("kafka.bootstrap.servers", kafka().bootstrapServers());
        String run = "test" + Long.toHexString(System.nanoTime());
        config.put("timecoin.topic.prefix", run + ".");
        // the service logs in as a user of its own, allowed only this start's topics and groups (the devnet's users have
        // each service's own ACLs; StackTopics)
        config.putAll(kafka().createStackUser(run, run + ".").quarkusConfig());
        if (database != null) {
            LocalPostgres pg = postgres();
            if (fresh) pg.dropDatabase(database);
            pg.ensureDatabase(database);
            config.put("quarkus.datasource.jdbc.url", pg.jdbcUrl(database));
            if (reactive) config.put("quarkus.datasource.reactive.url", pg.reactiveUrl(database));
            config.put("quarkus.datasource.username", pg.login(database).user());
            config.put("quarkus.datasource.password", pg.login(database).password());
        }
        return config;
    }

    @Override
    public void stop() {
        // Kept running for the other test classes of this JVM; the shutdown hook stops it.
    }
}
