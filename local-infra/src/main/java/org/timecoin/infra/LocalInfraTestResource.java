package org.timecoin.infra;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Starts one real Kafka broker and one real PostgreSQL for a test JVM (shared by every test class of the module) and
 * points the service at them. Init args: {@code database}, the database to create and configure as the JDBC
 * datasource (none if absent); {@code fresh=true} to drop and recreate it first (tests that must not see an earlier
 * run's rows); {@code reactive=true} to configure it for the reactive client as well. Every start also gets its own
 * Kafka topic prefix ({@code timecoin.topic.prefix}), so records of earlier runs are never consumed, and a Kafka user
 * allowed only that prefix; a test's own clients log in as the admin ({@code shared().kafka().adminConfig()}).
 * The infrastructure stops when the test JVM ends.
 */
public class LocalInfraTestResource implements QuarkusTestResourceLifecycleManager {
    private static LocalInfra infra;
    private String database;
    private boolean reactive;
    private boolean fresh;

    // Quarkus loads this class again for every test profile (a new class loader): the endpoints of the JVM's one
    // broker and server travel in a system property, so a second class loader attaches instead of starting another.
    private static final String SHARED = "timecoin.infra.shared";

    /** The JVM's broker and server (a test that needs a database of its own creates it here, owned by its own role). */
    public static synchronized LocalInfra shared() {
        if (infra != null) return infra;
        String shared = System.getProperty(SHARED);
        if (shared != null) {
            String[] f = shared.split("\n", -1);
            infra = LocalInfra.attached(Integer.parseInt(f[0]), f[1], f[2], f[3], Integer.parseInt(f[4]), f[5], f[6]);
            return infra;
        }
        Path dir = Path.of(System.getProperty("timecoin.infra.dir", "target/local-infra"));
        infra = LocalInfra.start(dir);
        LocalInfra started = infra;
        Runtime.getRuntime().addShutdownHook(new Thread(started::close, "local-infra-stop"));
        LocalPostgres pg = started.postgres();
        System.setProperty(SHARED, String.join("\n", Integer.toString(started.kafka().port()), started.kafka().adminPassword(), pg.adminUrl(), pg.host(), Integer.toString(pg.port()),
                pg.user(), pg.password()));
        return infra;
    }

    @Override
    public void init(Map<String, String> initArgs) {
        database = initArgs.get("database");
        reactive = Boolean.parseBoolean(initArgs.get("reactive"));
        fresh = Boolean.parseBoolean(initArgs.get("fresh"));
    }

    @Override
    public Map<String, String> start() {
        LocalInfra i = shared();
        Map<String, String> config = new HashMap<>();
        config.put("kafka.bootstrap.servers", i.kafka().bootstrapServers());
        String run = "test" + Long.toHexString(System.nanoTime());
        config.put("timecoin.topic.prefix", run + ".");
        // the service logs in as a user of its own, allowed only this start's topics and groups (the devnet's users have
        // each service's own ACLs; StackTopics)
        config.putAll(i.kafka().createStackUser(run, run + ".").quarkusConfig());
        if (database != null) {
            if (fresh) i.postgres().dropDatabase(database);
            i.postgres().ensureDatabase(database);
            config.put("quarkus.datasource.jdbc.url", i.postgres().jdbcUrl(database));
            if (reactive) config.put("quarkus.datasource.reactive.url", i.postgres().reactiveUrl(database));
            config.put("quarkus.datasource.username", i.postgres().login(database).user());
            config.put("quarkus.datasource.password", i.postgres().login(database).password());
        }
        return config;
    }

    @Override
    public void stop() {
        // Kept running for the other test classes of this JVM; the shutdown hook stops it.
    }
}
