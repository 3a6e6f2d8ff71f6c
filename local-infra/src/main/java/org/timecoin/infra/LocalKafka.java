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

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * A real Apache Kafka 4.x broker (KRaft, combined broker + controller, one node) in its own JVM, on free loopback
 * ports, with its data and log under {@code dir}. The broker runs under a small shell watchdog that reads this JVM's
 * pipe: when this JVM ends for any reason, the pipe closes and the broker is stopped, so no broker outlives its owner.
 */
public final class LocalKafka implements AutoCloseable {
    private static final String CLASSPATH_RESOURCE = "/org/timecoin/infra/kafka-broker.classpath";

    private final Path dir;
    private final int port;
    private final int controllerPort;
    private Process process;
    private OutputStream watchdogPipe;

    private LocalKafka(Path dir, int port, int controllerPort) {
        this.dir = dir;
        this.port = port;
        this.controllerPort = controllerPort;
    }

    /** Starts a broker with its data in {@code dir} (kept between starts: formatted only once). */
    public static LocalKafka start(Path dir, Duration timeout) {
        LocalKafka k = new LocalKafka(dir.toAbsolutePath(), FreePorts.pick(), FreePorts.pick());
        k.launch(timeout);
        return k;
    }

    /** A broker another class loader of this JVM started (Quarkus restarts the application per test profile). */
    static LocalKafka attached(int port) {
        return new LocalKafka(null, port, 0);
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
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
                format.addAll(List.of("kafka.tools.StorageTool", "format", "--standalone", "-t", clusterId(), "-c", props.toString()));
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
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000))) {
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
        p.setProperty("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.setProperty("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        p.setProperty("controller.listener.names", "CONTROLLER");
        p.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.setProperty("inter.broker.listener.name", "PLAINTEXT");
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
