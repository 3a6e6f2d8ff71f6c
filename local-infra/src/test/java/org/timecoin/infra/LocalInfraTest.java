package org.timecoin.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** Starts the real broker and the real PostgreSQL, uses both, stops both, and checks nothing is left running. */
class LocalInfraTest {

    @Test
    void realKafkaAndPostgresStartServeAndStopCleanly() throws Exception {
        Path dir = Path.of(System.getProperty("timecoin.infra.dir", "target/local-infra")).resolve("self-test-" + UUID.randomUUID());
        long kafkaPid;
        int kafkaPort;
        int pgPort;
        try (LocalInfra infra = LocalInfra.start(dir)) {
            kafkaPort = infra.kafka().port();
            pgPort = infra.postgres().port();
            kafkaPid = brokerPid(kafkaPort);

            // Kafka: a record produced is consumed back, byte for byte.
            String topic = "self-test";
            byte[] payload = {1, 2, 3, (byte) 0xFF};
            try (var producer = new KafkaProducer<byte[], byte[]>(with(infra.kafka().adminConfig(), ProducerConfig.LINGER_MS_CONFIG, 0),
                    new ByteArraySerializer(), new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>(topic, "k".getBytes(), payload)).get(30, TimeUnit.SECONDS);
            }
            Properties cp = new Properties();
            cp.putAll(infra.kafka().adminConfig());
            cp.put(ConsumerConfig.GROUP_ID_CONFIG, "self-test");
            cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            try (var consumer = new KafkaConsumer<byte[], byte[]>(cp, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                consumer.subscribe(List.of(topic));
                ConsumerRecord<byte[], byte[]> got = null;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (got == null && System.nanoTime() < deadline) {
                    var records = consumer.poll(Duration.ofMillis(500));
                    if (!records.isEmpty()) got = records.iterator().next();
                }
                assertThat(got).as("record consumed back").isNotNull();
                assertThat(got.value()).isEqualTo(payload);
            }

            // PostgreSQL: a database is created (idempotently), owned by its own role, and holds a row that another
            // service's role can neither read nor write (it cannot even connect)
            infra.postgres().ensureDatabase("self_test");
            infra.postgres().ensureDatabase("self_test");
            infra.postgres().ensureDatabase("other_service");
            LocalPostgres.Login own = infra.postgres().login("self_test");
            LocalPostgres.Login other = infra.postgres().login("other_service");
            assertThatThrownBy(() -> DriverManager.getConnection(infra.postgres().jdbcUrl("self_test"), other.user(), other.password()).close())
                    .isInstanceOf(java.sql.SQLException.class).hasMessageContaining("permission denied");
            try (Connection c = DriverManager.getConnection(infra.postgres().jdbcUrl("self_test"), own.user(), own.password());
                 Statement s = c.createStatement()) {
                s.execute("CREATE TABLE t (v int)");
                s.execute("INSERT INTO t VALUES (42)");
                try (ResultSet rs = s.executeQuery("SELECT v, version() FROM t")) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getInt(1)).isEqualTo(42);
                    assertThat(rs.getString(2)).startsWith("PostgreSQL 18");
                }
            }
        }
        assertThat(FreePorts.accepting(kafkaPort)).as("broker port closed").isFalse();
        assertThat(FreePorts.accepting(pgPort)).as("postgres port closed").isFalse();
        assertThat(ProcessHandle.of(kafkaPid).map(ProcessHandle::isAlive).orElse(false)).as("broker JVM gone").isFalse();
        assertThat(Files.exists(dir.resolve("kafka/broker.log"))).isTrue();
    }

    /**
     * Every client logs in, and a service's user may do only what its service does in the stack: the gateway's may
     * submit transactions but not announce a block, nor read what p2p hands consensus; a client without a login or with
     * a wrong password gets nothing. The broker keeps its users across a crash.
     */
    @Test
    void eachServicesKafkaUserMayWriteAndReadOnlyItsOwnTopics() throws Exception {
        Path dir = Path.of(System.getProperty("timecoin.infra.dir", "target/local-infra")).resolve("acl-test-" + UUID.randomUUID());
        try (LocalKafka kafka = LocalKafka.start(dir, LocalInfra.START_TIMEOUT)) {
            String prefix = "node7.";
            kafka.createTopics(prefix, StackTopics.all());
            LocalKafka.Login gateway = kafka.createServiceUser("node7-gateway", prefix, StackTopics.GATEWAY);
            Map<String, Object> asGateway = kafka.clientConfig(gateway);
            try (var producer = producer(asGateway)) {
                producer.send(new ProducerRecord<>(prefix + "tx.submitted", new byte[] {1})).get(30, TimeUnit.SECONDS);
                assertThatThrownBy(() -> producer.send(new ProducerRecord<>(prefix + "blocks.applied", new byte[] {1})).get(30, TimeUnit.SECONDS))
                        .hasCauseInstanceOf(org.apache.kafka.common.errors.TopicAuthorizationException.class);
                assertThatThrownBy(() -> producer.send(new ProducerRecord<>(prefix + "consensus.out", new byte[] {1})).get(30, TimeUnit.SECONDS))
                        .hasCauseInstanceOf(org.apache.kafka.common.errors.TopicAuthorizationException.class);
                // another stack's topic of the same name: its ACLs name its own prefix only
                kafka.createTopics("node8.", List.of("tx.submitted"));
                assertThatThrownBy(() -> producer.send(new ProducerRecord<>("node8.tx.submitted", new byte[] {1})).get(30, TimeUnit.SECONDS))
                        .hasCauseInstanceOf(org.apache.kafka.common.errors.TopicAuthorizationException.class);
            }
            assertThat(firstRecord(with(asGateway, ConsumerConfig.GROUP_ID_CONFIG, prefix + "gateway-1"), prefix + "tx.finalized", false)).isNull();
            assertThatThrownBy(() -> firstRecord(with(asGateway, ConsumerConfig.GROUP_ID_CONFIG, prefix + "gateway-1"), prefix + "consensus.in", false))
                    .isInstanceOf(org.apache.kafka.common.errors.TopicAuthorizationException.class);
            assertThatThrownBy(() -> firstRecord(with(asGateway, ConsumerConfig.GROUP_ID_CONFIG, prefix + "ledger"), prefix + "tx.finalized", false))
                    .as("another service's group").isInstanceOf(org.apache.kafka.common.errors.GroupAuthorizationException.class);
            // the ledger reads what the gateway submitted
            LocalKafka.Login ledger = kafka.createServiceUser("node7-ledger", prefix, StackTopics.LEDGER);
            assertThat(firstRecord(with(kafka.clientConfig(ledger), ConsumerConfig.GROUP_ID_CONFIG, prefix + "ledger"), prefix + "tx.submitted", true))
                    .isNotNull();

            Map<String, Object> wrongPassword = kafka.clientConfig(new LocalKafka.Login(gateway.user(), "not-" + gateway.password()));
            try (var producer = producer(wrongPassword)) {
                assertThatThrownBy(() -> producer.send(new ProducerRecord<>(prefix + "tx.submitted", new byte[] {1})).get(30, TimeUnit.SECONDS))
                        .hasRootCauseInstanceOf(org.apache.kafka.common.errors.SaslAuthenticationException.class);
            }
            Map<String, Object> noLogin = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(), ProducerConfig.MAX_BLOCK_MS_CONFIG, 3000);
            try (var producer = producer(noLogin)) {
                assertThatThrownBy(() -> producer.send(new ProducerRecord<>(prefix + "tx.submitted", new byte[] {1})).get(30, TimeUnit.SECONDS))
                        .hasRootCauseInstanceOf(org.apache.kafka.common.errors.TimeoutException.class);
            }

            kafka.crashAndRestart(LocalInfra.START_TIMEOUT);
            try (var producer = producer(kafka.clientConfig(kafka.login("node7-gateway")))) {
                producer.send(new ProducerRecord<>(prefix + "tx.submitted", new byte[] {2})).get(30, TimeUnit.SECONDS);
            }
        }
    }

    private static Map<String, Object> with(Map<String, Object> config, String key, Object value) {
        Map<String, Object> out = new java.util.HashMap<>(config);
        out.put(key, value);
        return out;
    }

    private static KafkaProducer<byte[], byte[]> producer(Map<String, Object> config) {
        return new KafkaProducer<>(with(config, ProducerConfig.LINGER_MS_CONFIG, 0), new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** The first record of {@code topic} read in the configured group; null if none comes (only {@code expectOne} waits long for it). */
    private static ConsumerRecord<byte[], byte[]> firstRecord(Map<String, Object> config, String topic, boolean expectOne) {
        Map<String, Object> c = with(config, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (var consumer = new KafkaConsumer<byte[], byte[]>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(expectOne ? 30 : 5);
            while (System.nanoTime() < deadline) {
                var records = consumer.poll(Duration.ofMillis(500));
                if (!records.isEmpty()) return records.iterator().next();
            }
            return null;
        }
    }

    /** The broker JVM is a grandchild (under the watchdog shell). */
    private static long brokerPid(int port) {
        return ProcessHandle.current().descendants()
                .filter(p -> p.info().command().map(c -> c.endsWith("/java")).orElse(false))
                .findFirst().orElseThrow().pid();
    }
}
