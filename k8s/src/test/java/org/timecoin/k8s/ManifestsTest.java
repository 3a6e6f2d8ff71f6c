package org.timecoin.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.timecoin.k8s.Rendered.container;
import static org.timecoin.k8s.Rendered.containerPort;
import static org.timecoin.k8s.Rendered.env;
import static org.timecoin.k8s.Rendered.stream;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.timecoin.protocol.model.Network;

/** Every overlay, rendered as an operator would apply it, against the schemas and the stack's own rules. */
class ManifestsTest {
    static final List<String> SERVICES = List.of("ledger", "consensus", "p2p", "gateway");
    /** The services whose pods hold a validator key's power: never more than one pod each. */
    static final Set<String> SINGLETONS = Set.of("consensus", "p2p");
    static final Set<String> SCALED = Set.of("ledger", "gateway");

    @ParameterizedTest
    @ValueSource(strings = {"devnet", "testnet", "mainnet"})
    void everyObjectMatchesItsSchema(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        assertThat(r.objects).hasSizeGreaterThan(30);
        assertThat(Rendered.schemaErrors(r.objects)).isEmpty();
        assertThat(r.objects).allSatisfy(o -> assertThat(o.path("metadata").path("namespace").asText())
                .as(o.path("kind").asText()).isIn("timecoin-" + overlay, ""));
    }

    /** The validator is live: a wrong type, a value out of range, a missing field and an unknown kind are caught. */
    @Test
    void theSchemaValidatorRejectsBrokenObjects() {
        Rendered r = Rendered.overlay("mainnet");
        ObjectNode deployment = r.get("Deployment", "ledger").deepCopy();
        ((ObjectNode) deployment.path("spec")).put("replicas", "two");
        ObjectNode topic = r.get("KafkaTopic", "tx-submitted").deepCopy();
        ((ObjectNode) topic.path("spec")).put("partitions", "many");
        ObjectNode database = r.get("Cluster", "timecoin-db").deepCopy();
        ((ObjectNode) database.path("spec")).put("instances", 0);
        ObjectNode service = r.get("Service", "ledger").deepCopy();
        ((ObjectNode) service.path("spec").path("ports").get(0)).remove("port");
        ObjectNode unknown = Rendered.JSON.createObjectNode().put("apiVersion", "v1").put("kind", "Pod");
        unknown.putObject("metadata").put("name", "stray");

        List<String> errors = Rendered.schemaErrors(List.of(deployment, topic, database, service, unknown, r.get("Deployment", "gateway")));
        assertThat(errors).hasSize(5);
        assertThat(errors.get(0)).startsWith("Deployment/ledger: /spec/replicas must be integer");
        assertThat(errors.get(1)).startsWith("KafkaTopic/tx-submitted: /spec/partitions must be integer");
        assertThat(errors.get(2)).startsWith("Cluster/timecoin-db: /spec/instances must be >= 1");
        assertThat(errors.get(3)).startsWith("Service/ledger: /spec/ports/0 must have required property port");
        assertThat(errors.get(4)).isEqualTo("Pod/stray: no schema for v1/Pod");
    }

    @ParameterizedTest
    @ValueSource(strings = {"devnet", "testnet", "mainnet"})
    void everyContainerHasProbesLimitsAndRunsAsNonRootOnAReadOnlyFilesystem(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        assertThat(r.ofKind("Deployment")).extracting(d -> d.path("metadata").path("name").asText()).containsExactlyInAnyOrderElementsOf(SERVICES);
        for (JsonNode d : r.ofKind("Deployment")) {
            JsonNode pod = d.path("spec").path("template").path("spec");
            String name = d.path("metadata").path("name").asText();
            assertThat(pod.path("securityContext").path("runAsNonRoot").asBoolean()).as(name).isTrue();
            assertThat(pod.path("securityContext").path("runAsUser").asInt()).as(name).isPositive();
            assertThat(pod.path("automountServiceAccountToken").asBoolean(true)).as(name).isFalse();
            assertThat(pod.path("containers")).as(name).hasSize(1);
            JsonNode c = container(d);
            for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
                JsonNode get = c.path(probe).path("httpGet");
                assertThat(get.path("path").asText()).as(name + " " + probe).startsWith("/q/health/");
                assertThat(containerPort(c, get.path("port").asText())).as(name + " " + probe + " port").isPositive();
            }
            assertThat(c.path("readinessProbe").path("httpGet").path("path").asText()).isEqualTo("/q/health/ready");
            assertThat(c.path("livenessProbe").path("httpGet").path("path").asText()).isEqualTo("/q/health/live");
            for (String kind : List.of("requests", "limits"))
                for (String resource : List.of("cpu", "memory"))
                    assertThat(c.path("resources").path(kind).path(resource).asText()).as(name + " " + kind + "." + resource).isNotEmpty();
            // the JVM sizes its heap from the limit: a request below it would let the node be overcommitted
            assertThat(c.path("resources").path("requests").path("memory").asText()).as(name).isEqualTo(c.path("resources").path("limits").path("memory").asText());
            JsonNode sc = c.path("securityContext");
            assertThat(sc.path("allowPrivilegeEscalation").asBoolean(true)).as(name).isFalse();
            assertThat(sc.path("readOnlyRootFilesystem").asBoolean()).as(name).isTrue();
            assertThat(stream(sc.path("capabilities").path("drop")).map(JsonNode::asText)).as(name).contains("ALL");
            assertThat(c.path("image").asText()).as(name).matches("timecoin/" + name + "-service:[0-9][^:]*").doesNotEndWith(":latest");
            // a read-only root: the only writable path is /tmp, an emptyDir (the Kafka CA is mounted read-only)
            assertThat(stream(c.path("volumeMounts")).filter(m -> !m.path("readOnly").asBoolean()).map(m -> m.path("mountPath").asText())).as(name)
                    .containsExactly("/tmp");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"devnet", "testnet", "mainnet"})
    void noSecretValueIsInAConfigMapOrInTheManifests(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        assertThat(r.ofKind("Secret")).as("Secrets are created by the operator, never committed").isEmpty();
        Pattern secretName = Pattern.compile("(?i).*(private|secret|password|passwd|token|credential|mnemonic|seed_?phrase).*");
        Pattern keyLike = Pattern.compile("(?i)([0-9a-f]{32,}|[A-Za-z0-9+/]{40,}={0,2})");
        for (JsonNode cm : r.ofKind("ConfigMap")) {
            cm.path("data").fields().forEachRemaining(e -> {
                assertThat(e.getKey()).as("ConfigMap key").doesNotMatch(secretName);
                assertThat(e.getValue().asText()).as(e.getKey()).doesNotContainPattern(keyLike);
            });
        }
        for (JsonNode d : r.ofKind("Deployment"))
            for (JsonNode e : container(d).path("env")) {
                if (secretName.matcher(e.path("name").asText()).matches())
                    assertThat(e.has("value")).as(e.path("name").asText() + " in " + d.path("metadata").path("name").asText() + " must come from a Secret").isFalse();
            }
    }

    @ParameterizedTest
    @ValueSource(strings = {"testnet", "mainnet"})
    void theMasternodeKeyComesFromItsSecretOnly(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        for (JsonNode d : r.ofKind("Deployment")) {
            String name = d.path("metadata").path("name").asText();
            var key = env(container(d), "TIMECOIN_NODE_PRIVATE_KEY");
            if (SINGLETONS.contains(name)) {
                JsonNode ref = key.orElseThrow(() -> new AssertionError(name + " has no key")).path("valueFrom").path("secretKeyRef");
                assertThat(ref.path("name").asText()).isEqualTo("timecoin-node-key");
                assertThat(ref.path("key").asText()).isEqualTo("private-key");
                assertThat(ref.path("optional").asBoolean(false)).isFalse();
            } else {
                assertThat(key).as(name + " needs no key").isEmpty();
            }
        }
    }

    @Test
    void theDevnetDerivesItsKeyFromTheGenesisSeed() {
        Rendered r = Rendered.overlay("devnet");
        assertThat(r.config("TIMECOIN_NETWORK")).isEqualTo("devnet");
        assertThat(r.config("TIMECOIN_GENESIS_SEED")).isNotEmpty();
        assertThat(Integer.parseInt(r.config("TIMECOIN_NODE_INDEX"))).isLessThan(Integer.parseInt(r.config("TIMECOIN_GENESIS_NODES")));
        for (JsonNode d : r.ofKind("Deployment")) assertThat(env(container(d), "TIMECOIN_NODE_PRIVATE_KEY")).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"devnet", "testnet", "mainnet"})
    void aValidatorNeverRunsTwiceAndTheRestScales(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        Set<String> autoscaled = r.ofKind("HorizontalPodAutoscaler").stream().map(h -> h.path("spec").path("scaleTargetRef").path("name").asText()).collect(Collectors.toSet());
        Set<String> budgeted = r.ofKind("PodDisruptionBudget").stream()
                .map(p -> p.path("spec").path("selector").path("matchLabels").path("app.kubernetes.io/name").asText()).collect(Collectors.toSet());
        for (String s : SINGLETONS) {
            JsonNode d = r.get("Deployment", s);
            assertThat(d.path("spec").path("replicas").asInt()).as(s).isEqualTo(1);
            assertThat(d.path("spec").path("strategy").path("type").asText()).as(s).isEqualTo("Recreate");
        }
        assertThat(autoscaled).containsExactlyInAnyOrderElementsOf(SCALED);
        assertThat(budgeted).containsExactlyInAnyOrderElementsOf(SCALED);
        for (JsonNode h : r.ofKind("HorizontalPodAutoscaler")) {
            assertThat(h.path("spec").path("scaleTargetRef").path("kind").asText()).isEqualTo("Deployment");
            assertThat(h.path("spec").path("minReplicas").asInt()).isGreaterThanOrEqualTo(2); // a PDB of minAvailable 1 leaves one to drain
        }
        for (String s : SCALED) {
            JsonNode strategy = r.get("Deployment", s).path("spec").path("strategy");
            assertThat(strategy.path("rollingUpdate").path("maxUnavailable").asInt(-1)).as(s + ": a rollout never drops capacity").isZero();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"devnet", "testnet", "mainnet"})
    void kafkaTopicsAreExactlyTheServicesTopics(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        Set<String> configured = new TreeSet<>();
        for (String s : SERVICES) {
            Properties p = Rendered.serviceProperties(s);
            for (String k : p.stringPropertyNames()) {
                if (!k.endsWith(".topic")) continue;
                String v = p.getProperty(k);
                assertThat(v).as(s + " " + k).startsWith("${timecoin.topic.prefix}");
                configured.add(v.substring("${timecoin.topic.prefix}".length()));
            }
        }
        assertThat(configured).contains("tx.submitted", "blocks.finalized");
        assertThat(r.config("TIMECOIN_TOPIC_PREFIX")).isEmpty();
        Map<String, JsonNode> topics = r.ofKind("KafkaTopic").stream().collect(Collectors.toMap(t -> t.path("spec").path("topicName").asText(), t -> t));
        assertThat(topics.keySet()).containsExactlyInAnyOrderElementsOf(configured);
        JsonNode brokerConfig = r.get("Kafka", "timecoin-kafka").path("spec").path("kafka").path("config");
        assertThat(brokerConfig.path("auto.create.topics.enable").asBoolean(true)).isFalse();
        // every record a service may send (a block proposal with its certificates) is accepted and replicated
        for (String s : SERVICES) {
            long sent = Long.parseLong(Rendered.serviceProperties(s).getProperty("kafka.max.request.size", "1048576"));
            assertThat(brokerConfig.path("message.max.bytes").asLong()).as(s).isGreaterThanOrEqualTo(sent);
            assertThat(brokerConfig.path("replica.fetch.max.bytes").asLong()).as(s).isGreaterThanOrEqualTo(sent);
        }
        long maxBlock = Long.parseLong(Rendered.serviceProperties("ledger").getProperty("timecoin.ledger.max-block-bytes", "8388608"));
        assertThat(Long.parseLong(Rendered.serviceProperties("ledger").getProperty("kafka.max.request.size"))).isGreaterThan(maxBlock);

        int brokers = r.get("KafkaNodePool", "dual-role").path("spec").path("replicas").asInt();
        for (JsonNode t : topics.values()) {
            assertThat(t.path("metadata").path("labels").path("strimzi.io/cluster").asText()).isEqualTo("timecoin-kafka");
            int replicas = t.path("spec").path("replicas").asInt();
            assertThat(replicas).isBetween(1, brokers);
            assertThat(t.path("spec").path("config").path("min.insync.replicas").asInt()).isBetween(1, Math.max(1, replicas - 1));
            assertThat(t.path("spec").path("config").path("retention.ms").asLong()).isPositive();
        }
        // blocks are applied in height order; validation spreads over every ledger replica the autoscaler may start
        assertThat(topics.get("blocks.finalized").path("spec").path("partitions").asInt()).isEqualTo(1);
        int maxLedgers = r.get("HorizontalPodAutoscaler", "ledger").path("spec").path("maxReplicas").asInt();
        assertThat(topics.get("tx.submitted").path("spec").path("partitions").asInt()).isGreaterThanOrEqualTo(maxLedgers);
    }

    /**
     * Least privilege in Kafka: each service logs in as a KafkaUser of its own (its Secret, never another's) whose ACLs
     * allow exactly what its channels do: read (and describe) the topics it consumes in groups named after it, write (and
     * describe) those it produces; nothing else (the gateway cannot write blocks.applied or consensus.out).
     */
    @ParameterizedTest
    @ValueSource(strings = {"devnet", "testnet", "mainnet"})
    void eachServiceLogsInAsAKafkaUserAllowedOnlyWhatItsChannelsDo(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        assertThat(r.get("Kafka", "timecoin-kafka").path("spec").path("kafka").path("authorization").path("type").asText()).isEqualTo("simple");
        assertThat(r.ofKind("KafkaUser")).hasSize(SERVICES.size());
        for (String s : SERVICES) {
            Properties p = Rendered.serviceProperties(s);
            Set<String> expected = new TreeSet<>();
            for (String k : p.stringPropertyNames()) {
                if (!k.endsWith(".topic")) continue;
                String topic = p.getProperty(k).substring("${timecoin.topic.prefix}".length());
                boolean in = k.startsWith("mp.messaging.incoming.");
                expected.add("topic literal " + topic + " " + (in ? "Read" : "Write"));
                expected.add("topic literal " + topic + " Describe");
                if (in) assertThat(p.getProperty(k.replace(".topic", ".group.id"))).startsWith("${timecoin.topic.prefix}" + s);
            }
            expected.add("group prefix " + s + " Read");
            JsonNode user = r.get("KafkaUser", "timecoin-kafka-" + s);
            assertThat(user.path("metadata").path("labels").path("strimzi.io/cluster").asText()).isEqualTo("timecoin-kafka");
            assertThat(user.path("spec").path("authentication").path("type").asText()).isEqualTo("scram-sha-512");
            Set<String> granted = new TreeSet<>();
            for (JsonNode acl : user.path("spec").path("authorization").path("acls")) {
                assertThat(acl.path("type").asText("allow")).isEqualTo("allow");
                JsonNode res = acl.path("resource");
                for (JsonNode op : acl.path("operations"))
                    granted.add(res.path("type").asText() + " " + res.path("patternType").asText() + " " + res.path("name").asText() + " " + op.asText());
            }
            assertThat(granted).as("%s's ACLs", s).containsExactlyInAnyOrderElementsOf(expected);
            JsonNode c = container(r.get("Deployment", s));
            assertThat(env(c, "KAFKA_SASL_JAAS_CONFIG").orElseThrow().path("valueFrom").path("secretKeyRef").path("name").asText()).as(s)
                    .isEqualTo("timecoin-kafka-" + s);
            assertThat(stream(c.path("volumeMounts")).map(m -> m.path("mountPath").asText())).as(s).contains("/etc/kafka-ca");
        }
        assertThat(r.config("KAFKA_SSL_TRUSTSTORE_LOCATION")).startsWith("/etc/kafka-ca/");
        JsonNode gateway = r.get("KafkaUser", "timecoin-kafka-gateway");
        assertThat(stream(gateway.path("spec").path("authorization").path("acls"))
                .filter(a -> a.path("resource").path("name").asText().matches("blocks\\..*|consensus\\..*")).flatMap(a -> stream(a.path("operations")))
                .map(JsonNode::asText)).as("the gateway writes no block or vote").doesNotContain("Write");
    }

    @ParameterizedTest
    @ValueSource(strings = {"devnet", "testnet", "mainnet"})
    void portsAndAddressesMatchTheNetworkAndTheServices(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        Network network = Network.byName(r.config("TIMECOIN_NETWORK"));
        assertThat(network.name().toLowerCase()).isEqualTo(overlay);

        JsonNode p2p = container(r.get("Deployment", "p2p"));
        assertThat(containerPort(p2p, "p2p")).isEqualTo(network.defaultP2pPort());
        assertThat(env(p2p, "TIMECOIN_P2P_PORT").orElseThrow().path("value").asInt()).as("the port it listens on and advertises").isEqualTo(network.defaultP2pPort());
        JsonNode publicP2p = r.get("Service", "p2p-public");
        assertThat(publicP2p.path("spec").path("type").asText()).isIn("LoadBalancer", "NodePort");
        assertThat(publicP2p.path("spec").path("ports").get(0).path("port").asInt()).isEqualTo(network.defaultP2pPort());

        JsonNode gateway = container(r.get("Deployment", "gateway"));
        assertThat(containerPort(gateway, "http")).isEqualTo(network.defaultHttpPort());
        assertThat(env(gateway, "QUARKUS_HTTP_PORT").orElseThrow().path("value").asInt()).isEqualTo(network.defaultHttpPort());
        for (String s : List.of("ledger", "consensus", "p2p")) {
            int configured = Integer.parseInt(Rendered.serviceProperties(s).getProperty("quarkus.http.port"));
            assertThat(containerPort(container(r.get("Deployment", s)), "http")).as(s).isEqualTo(configured);
        }
        for (JsonNode d : r.ofKind("Deployment")) {
            JsonNode template = d.path("spec").path("template");
            assertThat(template.path("metadata").path("annotations").path("prometheus.io/port").asInt())
                    .as("metrics port of " + d.path("metadata").path("name").asText()).isEqualTo(containerPort(container(d), "http"));
        }

        // every Service reaches a named port of the pods it selects
        for (JsonNode svc : r.ofKind("Service")) {
            String app = svc.path("spec").path("selector").path("app.kubernetes.io/name").asText();
            JsonNode c = container(r.get("Deployment", app));
            for (JsonNode port : svc.path("spec").path("ports")) containerPort(c, port.path("targetPort").asText());
        }
        // the internal URLs in the configuration name real Services and ports
        for (String key : List.of("TIMECOIN_GATEWAY_LEDGER_URL", "TIMECOIN_GATEWAY_CONSENSUS_URL", "TIMECOIN_GATEWAY_P2P_URL", "TIMECOIN_P2P_LEDGER_URL")) {
            URI url = URI.create(r.config(key));
            JsonNode svc = r.get("Service", url.getHost());
            assertThat(stream(svc.path("spec").path("ports")).map(p -> p.path("port").asInt())).as(key).contains(url.getPort());
        }
        // Kafka: Strimzi's bootstrap Service of this cluster and its listener
        JsonNode kafka = r.get("Kafka", "timecoin-kafka");
        JsonNode listener = kafka.path("spec").path("kafka").path("listeners").get(0);
        assertThat(r.config("KAFKA_BOOTSTRAP_SERVERS")).isEqualTo("timecoin-kafka-kafka-bootstrap:" + listener.path("port").asInt());
        assertThat(listener.path("tls").asBoolean()).as("clients reach Kafka over TLS only").isTrue();
        assertThat(kafka.path("spec").path("kafka").path("listeners").size()).isEqualTo(1);
        assertThat(listener.path("authentication").path("type").asText()).isEqualTo("scram-sha-512");
        assertThat(r.config("KAFKA_SECURITY_PROTOCOL")).isEqualTo("SASL_SSL");
        assertThat(r.config("KAFKA_SASL_MECHANISM")).isEqualTo("SCRAM-SHA-512");
        // PostgreSQL: the cluster's read-write Service, a database that exists, its generated Secret
        // each service logs in as a role of its own, owner of its database: one service cannot reach another's tables
        JsonNode cluster = r.get("Cluster", "timecoin-db");
        Map<String, String> ownerOf = new HashMap<>(); // database -> owning role
        ownerOf.put(cluster.path("spec").path("bootstrap").path("initdb").path("database").asText(),
                cluster.path("spec").path("bootstrap").path("initdb").path("owner").asText());
        r.ofKind("Database").forEach(db -> {
            assertThat(db.path("spec").path("cluster").path("name").asText()).isEqualTo("timecoin-db");
            ownerOf.put(db.path("spec").path("name").asText(), db.path("spec").path("owner").asText());
        });
        Map<String, String> secretOfRole = new HashMap<>(); // managed role -> its password Secret; the initdb owner's is generated
        secretOfRole.put(cluster.path("spec").path("bootstrap").path("initdb").path("owner").asText(), "timecoin-db-app");
        for (JsonNode role : cluster.path("spec").path("managed").path("roles")) {
            assertThat(role.path("login").asBoolean()).isTrue();
            secretOfRole.put(role.path("name").asText(), role.path("passwordSecret").path("name").asText());
        }
        Set<String> secretsUsed = new HashSet<>();
        for (String s : List.of("ledger", "consensus", "p2p")) {
            JsonNode c = container(r.get("Deployment", s));
            URI jdbc = URI.create(env(c, "QUARKUS_DATASOURCE_JDBC_URL").orElseThrow().path("value").asText().substring("jdbc:".length()));
            assertThat(jdbc.getHost()).isEqualTo("timecoin-db-rw");
            assertThat(jdbc.getPort()).isEqualTo(5432);
            String database = jdbc.getPath().substring(1);
            assertThat(ownerOf).as(s).containsKey(database);
            String secret = secretOfRole.get(ownerOf.get(database));
            assertThat(secret).as("%s's database is owned by a role with a login", s).isNotNull();
            for (String v : List.of("QUARKUS_DATASOURCE_USERNAME", "QUARKUS_DATASOURCE_PASSWORD"))
                assertThat(env(c, v).orElseThrow().path("valueFrom").path("secretKeyRef").path("name").asText()).as(s).isEqualTo(secret);
            secretsUsed.add(secret);
        }
        assertThat(secretsUsed).as("no two services share a database login").hasSize(3);
        assertThat(env(container(r.get("Deployment", "gateway")), "QUARKUS_DATASOURCE_JDBC_URL")).as("the gateway keeps no state").isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"devnet", "testnet", "mainnet"})
    void onlyGatewayAndP2pTakeOutsideTrafficAndOnlyTheServicesReachKafkaAndPostgres(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        List<JsonNode> policies = r.ofKind("NetworkPolicy");
        assertThat(policies).anySatisfy(p -> {
            assertThat(p.path("spec").path("podSelector").isEmpty()).isTrue();
            assertThat(p.path("spec").path("ingress").isMissingNode() || p.path("spec").path("ingress").isEmpty()).isTrue();
        });
        Set<String> open = new TreeSet<>();
        for (JsonNode p : policies) {
            for (JsonNode rule : p.path("spec").path("ingress")) {
                if (!rule.path("from").isEmpty()) continue; // a rule without peers admits everyone
                JsonNode selected = p.path("spec").path("podSelector").path("matchLabels").path("app.kubernetes.io/name");
                assertThat(selected.isTextual()).as(p.path("metadata").path("name").asText() + " opens to everyone, but not one service").isTrue();
                open.add(selected.asText());
                assertThat(stream(rule.path("ports")).map(x -> x.path("port").asText()))
                        .as(selected.asText() + " is open on its public port only").containsExactly(selected.asText().equals("p2p") ? "p2p" : "http");
            }
        }
        assertThat(open).containsExactly("gateway", "p2p");

        Set<String> services = new HashSet<>(SERVICES);
        for (String[] backend : List.of(new String[] {"strimzi.io/cluster", "timecoin-kafka"}, new String[] {"cnpg.io/cluster", "timecoin-db"})) {
            List<JsonNode> guarding = policies.stream()
                    .filter(p -> p.path("spec").path("podSelector").path("matchLabels").path(backend[0]).asText().equals(backend[1])).toList();
            assertThat(guarding).as(backend[1]).isNotEmpty();
            List<String> admitted = new ArrayList<>();
            for (JsonNode p : guarding)
                for (JsonNode rule : p.path("spec").path("ingress")) {
                    assertThat(rule.path("from").isEmpty()).as(backend[1] + " is never open to everyone").isFalse();
                    for (JsonNode peer : rule.path("from")) {
                        if (peer.has("namespaceSelector")) { // the operator's namespace: only its own pods
                            assertThat(peer.path("podSelector").path("matchLabels").path("app.kubernetes.io/name").asText()).isEqualTo("cloudnative-pg");
                            continue;
                        }
                        JsonNode sel = peer.path("podSelector");
                        if (sel.path("matchLabels").path(backend[0]).asText().equals(backend[1])) continue; // its own instances
                        for (JsonNode expr : sel.path("matchExpressions")) {
                            assertThat(expr.path("key").asText()).isEqualTo("app.kubernetes.io/name");
                            assertThat(expr.path("operator").asText()).isEqualTo("In");
                            stream(expr.path("values")).forEach(v -> admitted.add(v.asText()));
                        }
                        assertThat(sel.path("matchExpressions").isEmpty()).as("a peer of " + backend[1] + " that is not a service").isFalse();
                    }
                }
            assertThat(services).as(backend[1]).containsAll(admitted);
        }
    }

    /** The images the manifests run: each service has its JVM image definition, and it runs as the pods' user. */
    @Test
    void eachServiceHasAnImageDefinitionThatRunsAsThePodsUser() throws Exception {
        Rendered r = Rendered.overlay("mainnet");
        for (String s : SERVICES) {
            Path dockerfile = Rendered.ROOT.resolve(s + "-service/src/main/docker/Dockerfile.jvm");
            String text = Files.readString(dockerfile);
            JsonNode pod = r.get("Deployment", s).path("spec").path("template").path("spec");
            assertThat(text).as(s).contains("USER " + pod.path("securityContext").path("runAsUser").asInt());
            assertThat(text).as(s).contains("target/quarkus-app/").contains("quarkus-run.jar");
        }
    }
}
