package org.timecoin.infra;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;

/**
 * A real Apache Kafka 4.x broker (KRaft, combined broker + controller, one node) in its own JVM, on free loopback
 * ports, with its data and log under {@code dir}. The broker runs under a small shell watchdog that reads this JVM's
 * pipe: when this JVM ends for any reason, the pipe closes and the broker is stopped, so no broker outlives its owner.
 * <p>
 * As in a stack's Kubernetes Kafka, every client logs in (SASL/SCRAM-SHA-512; no TLS on loopback) and may do only what
 * ACLs grant its user ({@link #createServiceUser}: a service's topics of {@link StackTopics}); only {@value #ADMIN}, whose
 * password is made at the first start and kept beside the data, is a super user. The controller's listener takes
 * SASL/PLAIN as {@value #ADMIN} only (KRaft controllers cannot check SCRAM).
 */
public final class LocalKafka implements AutoCloseable {
    private static final String CLASSPATH_RESOURCE = "/org/timecoin/infra/kafka-broker.classpath";
    public static final String ADMIN = "admin";
    private static final String MECHANISM = "SCRAM-SHA-512";

    private final Path dir;
    private final int port;
    private final int controllerPort;
    private final String adminPassword;
    private Process process;
    private OutputStream watchdogPipe;

    private LocalKafka(Path dir, int port, int controllerPort, String adminPassword) {
        this.dir = dir;
        this.port = port;
        this.controllerPort = controllerPort;
        this.adminPassword = adminPassword;
    }

    /** Starts a broker with its data in {@code dir} (kept between starts: formatted only once). */
    public static LocalKafka start(Path dir, Duration timeout) {
        Path d = dir.toAbsolutePath();
        LocalKafka k = new LocalKafka(d, FreePorts.pick(), FreePorts.pick(), adminPassword(d));
        k.launch(timeout);
        return k;
    }

    /** A broker another class loader of this JVM started (Quarkus restarts the application per test profile). */
    static LocalKafka attached(int port, String adminPassword) {
        return new LocalKafka(null, port, 0, adminPassword);
    }

    /** The broker whose data is in {@code dir}, started by another process (the devnet's, for {@code bin/devnet timeline}). */
    public static LocalKafka attached(Path dir, String bootstrapServers) {
        int port = Integer.parseInt(bootstrapServers.substring(bootstrapServers.lastIndexOf(':') + 1));
        try {
            return new LocalKafka(null, port, 0, Files.readString(dir.toAbsolutePath().resolve("admin.password")).trim());
        } catch (IOException e) {
            throw new UncheckedIOException("no Kafka admin password under " + dir, e);
        }
    }

    /**
     * The super user's password, made once per data folder (readable by its owner only). A folder with data but no
     * password was formatted before brokers had users: its data is dropped, as the broker could not start on it.
     */
    private static String adminPassword(Path dir) {
        try {
            Files.createDirectories(dir);
            Path file = dir.resolve("admin.password");
            if (Files.exists(file)) return Files.readString(file).trim();
            Path data = dir.resolve("data");
            if (Files.exists(data)) deleteRecursively(data);
            byte[] b = new byte[24];
            new SecureRandom().nextBytes(b);
            String password = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
            Files.writeString(file, password + "\n");
            LocalSecrets.ownerOnly(file);
            return password;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteRecursively(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    /** A Kafka user's login. */
    public record Login(String user, String password) {
        public String jaasConfig() {
            return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user + "\" password=\"" + password + "\";";
        }

        /** Its client settings as a Quarkus service reads them ({@code kafka.*}). */
        public Map<String, String> quarkusConfig() {
            return Map.of("kafka.security.protocol", "SASL_PLAINTEXT", "kafka.sasl.mechanism", MECHANISM, "kafka.sasl.jaas.config", jaasConfig());
        }

        /** The same as environment variables: a password stays off the command line, where {@code ps} shows it. */
        public Map<String, String> environment() {
            return Map.of("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT", "KAFKA_SASL_MECHANISM", MECHANISM, "KAFKA_SASL_JAAS_CONFIG", jaasConfig());
        }
    }

    public String adminPassword() {
        return adminPassword;
    }

    /** The login of {@code user}; its password derives from the admin's, so it is the same after a restart. */
    public Login login(String user) {
        if (user.equals(ADMIN)) return new Login(ADMIN, adminPassword);
        return new Login(user, LocalSecrets.derivedPassword(adminPassword, user, "timecoin-local-kafka-user"));
    }

    /** A Kafka client's settings to reach this broker as {@code login}. */
    public Map<String, Object> clientConfig(Login login) {
        return Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(), CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT",
                SaslConfigs.SASL_MECHANISM, MECHANISM, SaslConfigs.SASL_JAAS_CONFIG, login.jaasConfig());
    }

    /** As the super user: for tools and tests that play any service. */
    public Map<String, Object> adminConfig() {
        return clientConfig(login(ADMIN));
    }

    /**
     * Creates (or resets) {@code user}, allowed exactly what {@code service} does in the stack whose topics begin with
     * {@code prefix}: read (and describe) the topics it consumes in groups beginning with the prefix and its name, write
     * (and describe) those it produces. No create: the stack's topics exist first ({@link #createTopics}).
     */
    public Login createServiceUser(String user, String prefix, StackTopics service) {
        List<AclBinding> acls = new ArrayList<>();
        for (String t : service.reads) acls.addAll(allow(user, ResourceType.TOPIC, prefix + t, PatternType.LITERAL, AclOperation.READ, AclOperation.DESCRIBE));
        for (String t : service.writes) acls.addAll(allow(user, ResourceType.TOPIC, prefix + t, PatternType.LITERAL, AclOperation.WRITE, AclOperation.DESCRIBE));
        acls.addAll(allow(user, ResourceType.GROUP, prefix + service.service(), PatternType.PREFIXED, AclOperation.READ));
        return createUser(user, acls);
    }

    /**
     * Creates (or resets) {@code user}, allowed everything on topics and groups beginning with {@code prefix}: a service
     * under test, whose topics the test's probes play the rest of the stack on, and which creates them as it goes.
     */
    public Login createStackUser(String user, String prefix) {
        List<AclBinding> acls = new ArrayList<>();
        acls.addAll(allow(user, ResourceType.TOPIC, prefix, PatternType.PREFIXED, AclOperation.ALL));
        acls.addAll(allow(user, ResourceType.GROUP, prefix, PatternType.PREFIXED, AclOperation.ALL));
        return createUser(user, acls);
    }

    private static List<AclBinding> allow(String user, ResourceType type, String name, PatternType pattern, AclOperation... operations) {
        List<AclBinding> out = new ArrayList<>();
        for (AclOperation op : operations)
            out.add(new AclBinding(new ResourcePattern(type, name, pattern), new AccessControlEntry("User:" + user, "*", op, AclPermissionType.ALLOW)));
        return out;
    }

    private Login createUser(String user, List<AclBinding> acls) {
        Login login = login(user);
        try (Admin admin = Admin.create(adminConfig())) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user, new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096),
                    login.password()))).all().get(30, TimeUnit.SECONDS);
            admin.createAcls(acls).all().get(30, TimeUnit.SECONDS);
            // the broker applies both from its metadata log a moment later: a service started now must find them
            AclBindingFilter mine = new AclBindingFilter(ResourcePatternFilter.ANY,
                    new AccessControlEntryFilter("User:" + user, null, AclOperation.ANY, AclPermissionType.ANY));
            if (!FreePorts.await(Duration.ofSeconds(30), () -> {
                try (Admin as = Admin.create(clientConfig(login))) {
                    as.describeCluster().nodes().get(3, TimeUnit.SECONDS);
                    return admin.describeAcls(mine).values().get(3, TimeUnit.SECONDS).containsAll(acls);
                } catch (Exception e) {
                    return false;
                }
            })) throw new IllegalStateException("Kafka user " + user + " not in effect within 30 s");
            return login;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("creating Kafka user " + user + " failed", e);
        }
    }

    /** Creates the topics {@code prefix + name} that do not exist yet, one partition each. */
    public void createTopics(String prefix, java.util.Collection<String> names) {
        try (Admin admin = Admin.create(adminConfig())) {
            for (String name : names) {
                try {
                    admin.createTopics(List.of(new NewTopic(prefix + name, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) throw new IllegalStateException("creating topic " + prefix + name + " failed", e);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("creating topics under " + prefix + " timed out", e);
        }
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    /** The process that runs the broker (its watchdog; the broker JVM is its child), or -1 when attached. */
    public long pid() {
        return process == null ? -1 : process.pid();
    }

    public int port() {
        return port;
    }

    public Path logFile() {
        return dir.resolve("broker.log");
    }

    static String brokerClasspath() {
        try (InputStream in = LocalKafka.class.getResourceAsStream(CLASSPATH_RESOURCE)) {
            if (in == null) throw new IllegalStateException("kafka-broker classpath resource missing: build the kafka-broker module first");
            String cp = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            for (String jar : cp.split(java.io.File.pathSeparator)) {
                if (!Files.exists(Path.of(jar))) throw new IllegalStateException("Kafka broker jar missing: " + jar + " (run ./mvnw install)");
            }
            return cp;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void launch(Duration timeout) {
        try {
            Files.createDirectories(dir);
            Path data = dir.resolve("data");
            Path props = dir.resolve("server.properties");
            Path log4j = dir.resolve("log4j2.properties");
            Files.writeString(props, serverProperties(data));
            LocalSecrets.ownerOnly(props); // it holds the admin's password
            Files.writeString(log4j, """
                    status = error
                    appender.file.type = File
                    appender.file.name = file
                    appender.file.fileName = %s
                    appender.file.layout.type = PatternLayout
                    appender.file.layout.pattern = [%%d] %%p %%m (%%c)%%n
                    rootLogger.level = INFO
                    rootLogger.appenderRef.file.ref = file
                    logger.kafka.name = kafka
                    logger.kafka.level = WARN
                    logger.kafkaorg.name = org.apache.kafka
                    logger.kafkaorg.level = WARN
                    logger.started.name = kafka.server.KafkaRaftServer
                    logger.started.level = INFO
                    """.formatted(logFile()));
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            String cp = brokerClasspath();
            List<String> common = List.of(java, "-Xms128m", "-Xmx512m", "-XX:+UseG1GC", "-Djava.awt.headless=true",
                    "-Dlog4j2.configurationFile=" + log4j, "-cp", cp);
            if (!Files.exists(data.resolve("meta.properties"))) {
                List<String> format = new ArrayList<>(common);
                format.addAll(List.of("kafka.tools.StorageTool", "format", "--standalone", "-t", clusterId(), "-c", props.toString(),
                        "--add-scram", MECHANISM + "=[name=" + ADMIN + ",password=" + adminPassword + "]"));
                Process f = new ProcessBuilder(format).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("format.log").toFile())).start();
                if (!f.waitFor(60, TimeUnit.SECONDS) || f.exitValue() != 0) {
                    f.destroyForcibly();
                    throw new IllegalStateException("formatting Kafka storage failed, see " + dir.resolve("format.log"));
                }
            }
            List<String> broker = new ArrayList<>(common);
            broker.addAll(List.of("kafka.Kafka", props.toString()));
            process = new ProcessBuilder(Watchdog.wrap(broker)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("broker.out").toFile())).start();
            watchdogPipe = process.getOutputStream();
            if (!FreePorts.await(timeout, () -> !process.isAlive() || ready())) {
                close();
                throw new IllegalStateException("Kafka broker did not become ready within " + timeout + ", see " + logFile());
            }
            if (!process.isAlive()) throw new IllegalStateException("Kafka broker exited at start, see " + logFile() + " and " + dir.resolve("broker.out"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting Kafka", e);
        }
    }

    /** Ready = the broker answers a cluster description with one node (the port alone opens a little earlier). */
    private boolean ready() {
        if (!FreePorts.accepting(port)) return false;
        Map<String, Object> config = new java.util.HashMap<>(adminConfig());
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000);
        try (Admin admin = Admin.create(config)) {
            return admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).size() == 1;
        } catch (Exception e) {
            return false;
        }
    }

    private String serverProperties(Path data) {
        Properties p = new Properties();
        p.setProperty("process.roles", "broker,controller");
        p.setProperty("node.id", "1");
        p.setProperty("controller.quorum.bootstrap.servers", "127.0.0.1:" + controllerPort);
        p.setProperty("listeners", "CLIENT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.setProperty("advertised.listeners", "CLIENT://127.0.0.1:" + port);
        p.setProperty("controller.listener.names", "CONTROLLER");
        p.setProperty("listener.security.protocol.map", "CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT");
        p.setProperty("inter.broker.listener.name", "CLIENT");
        // clients and the broker itself log in with SCRAM (users in the metadata log); the controller's listener with PLAIN
        p.setProperty("sasl.mechanism.inter.broker.protocol", MECHANISM);
        p.setProperty("listener.name.client.sasl.enabled.mechanisms", MECHANISM);
        p.setProperty("listener.name.client.scram-sha-512.sasl.jaas.config", login(ADMIN).jaasConfig());
        p.setProperty("sasl.mechanism.controller.protocol", "PLAIN");
        p.setProperty("listener.name.controller.sasl.enabled.mechanisms", "PLAIN");
        p.setProperty("listener.name.controller.plain.sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                + ADMIN + "\" password=\"" + adminPassword + "\" user_" + ADMIN + "=\"" + adminPassword + "\";");
        p.setProperty("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        p.setProperty("super.users", "User:" + ADMIN);
        p.setProperty("allow.everyone.if.no.acl.found", "false");
        p.setProperty("log.dirs", data.toString());
        p.setProperty("num.partitions", "1");
        p.setProperty("offsets.topic.replication.factor", "1");
        p.setProperty("offsets.topic.num.partitions", "5");
        p.setProperty("transaction.state.log.replication.factor", "1");
        p.setProperty("transaction.state.log.min.isr", "1");
        p.setProperty("share.coordinator.state.topic.replication.factor", "1");
        p.setProperty("share.coordinator.state.topic.min.isr", "1");
        p.setProperty("group.initial.rebalance.delay.ms", "0");
        p.setProperty("auto.create.topics.enable", "true");
        p.setProperty("message.max.bytes", "16777216"); // block proposals with their certificates (services send up to 16 MiB)
        p.setProperty("log.retention.hours", "168");
        StringBuilder sb = new StringBuilder("# written by org.timecoin.infra.LocalKafka\n");
        p.stringPropertyNames().stream().sorted().forEach(k -> sb.append(k).append('=').append(p.getProperty(k)).append('\n'));
        return sb.toString();
    }

    /** Kafka's cluster id format: 16 random bytes, URL-safe Base64 without padding. */
    private static String clusterId() {
        byte[] b = new byte[16];
        new SecureRandom().nextBytes(b);
        b[0] &= 0x7F; // Kafka refuses ids whose text starts with '-'
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** A broker crash: kill -9 (no clean shutdown, nothing flushed), then a start on the same ports and the same data. */
    public void crashAndRestart(Duration timeout) {
        if (process == null) throw new IllegalStateException("this broker was not started by this JVM");
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        Watchdog.stop(process, watchdogPipe, Duration.ofSeconds(20));
        process = null;
        launch(timeout);
    }

    @Override
    public void close() {
        if (process == null) return; // attached, or already stopped
        Watchdog.stop(process, watchdogPipe, Duration.ofSeconds(30));
        process = null;
    }
}
