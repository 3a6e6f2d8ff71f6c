package org.timecoin.infra;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

import org.timecoin.protocol.genesis.DevnetGenesis;

/**
 * The local devnet supervisor: one real Kafka broker, one real PostgreSQL, and N masternode stacks (gateway, consensus,
 * ledger, p2p as separate JVMs), each node with its own databases and topic prefix. It stays in the foreground and
 * owns every process it started: stopping it (SIGTERM, Ctrl-C, or its death) stops all of them and nothing else.
 *
 * <pre>
 *   Devnet up [--nodes N] [--dir D] [--seed S] [--base-port P] [--block-interval-millis M]
 *                                                 start, print the endpoints, wait until stopped
 *   Devnet status [--dir D]                       height/health of each service from the state file
 *   Devnet timeline [--dir D] [--last-seconds S]  where transactions' time went, stage by stage (from the topics)
 * </pre>
 * Ports of node i (base 24200, --base-port): p2p base+i (the genesis registers 24200+i), gateway base+10+i, ledger base+20+i, consensus base+30+i,
 * p2p management HTTP base+40+i.
 *
 * <p>Its size (~520 lines): one launcher a developer reads top to bottom — ports, processes, readiness, status and timeline of the devnet; the broker and the database are {@code LocalKafka} and {@code LocalPostgres}.
 */
public final class Devnet implements AutoCloseable {
    static final int DEVNET_REQUESTS_PER_SECOND = 2_000;
    static final int DEVNET_WAITS_PER_CLIENT = 5_000;

    public static final List<String> SERVICES = List.of("ledger", "consensus", "p2p", "gateway");
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(180);

    record ServiceProcess(int node, String service, int httpPort, Process process, OutputStream pipe, Path log) {
    }

    private final Path dir;
    private final Path projectRoot;
    private final int nodes;
    private final String seed;
    private final int basePort;
    /** System properties given to every service on top of the devnet's own (e.g. a shorter block interval). */
    private final Map<String, String> properties;
    private final List<ServiceProcess> processes = new ArrayList<>();
    private LocalInfra infra;
    private DevnetGenesis genesis;

    Devnet(Path projectRoot, Path dir, int nodes, String seed, int basePort, Map<String, String> properties) {
        this.projectRoot = projectRoot;
        this.dir = dir;
        this.nodes = nodes;
        this.seed = seed;
        this.basePort = basePort;
        this.properties = Map.copyOf(properties);
    }

    /**
     * Starts a devnet in this JVM (end-to-end tests): returns once every service is ready; {@link #close} stops it all.
     * Ports: p2p basePort+i, gateway +10+i, ledger +20+i, consensus +30+i, p2p HTTP +40+i.
     */
    public static Devnet launch(Path projectRoot, Path dir, int nodes, String seed, int basePort) {
        return launch(projectRoot, dir, nodes, seed, basePort, Map.of());
    }

    /** As {@link #launch(Path, Path, int, String, int)}, with extra system properties for every service. */
    public static Devnet launch(Path projectRoot, Path dir, int nodes, String seed, int basePort, Map<String, String> properties) {
        Devnet d = new Devnet(projectRoot.toAbsolutePath().normalize(), dir.toAbsolutePath(), nodes, seed, basePort, properties);
        try {
            d.start();
        } catch (RuntimeException e) {
            d.stopAll();
            throw e;
        }
        return d;
    }

    @Override
    public void close() {
        stopAll();
    }

    public int nodes() {
        return nodes;
    }

    /** A running service: its node, name, base URL and process id. */
    public record Service(int node, String name, String url, long pid) {
    }

    /** The services running now, node by node. */
    public synchronized List<Service> services() {
        return processes.stream().sorted(java.util.Comparator.comparingInt(ServiceProcess::node).thenComparing(ServiceProcess::service))
                .map(p -> new Service(p.node(), p.service(), "http://127.0.0.1:" + p.httpPort(), jvmPid(p))).toList();
    }

    /**
     * Each service's JVM under its watchdog shell ({@link Watchdog#wrap}), remembered once found so that stopping never
     * leaves one behind even if the shell died first (a signal meant for the JVM — jcmd's attach, say — sent to the
     * shell ends it and orphans the JVM).
     */
    private final Map<Process, ProcessHandle> jvms = new java.util.concurrent.ConcurrentHashMap<>();

    /** The service's JVM pid; -1 while it has not started. */
    private long jvmPid(ServiceProcess s) {
        ProcessHandle jvm = jvms.computeIfAbsent(s.process(), watchdog -> watchdog.descendants()
                .filter(h -> h.info().command().map(c -> c.endsWith("/java")).orElse(false)).findFirst().orElse(null));
        return jvm == null ? -1 : jvm.pid();
    }

    private void stopJvmOf(ServiceProcess p) {
        ProcessHandle jvm = jvms.remove(p.process());
        if (jvm == null || !jvm.isAlive()) return;
        jvm.destroy();
        try {
            jvm.onExit().get(20, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            jvm.destroyForcibly();
        }
    }

    /** Its folder: logs, infrastructure data and the state file {@code devnet.properties}. */
    public Path dir() {
        return dir;
    }

    public DevnetGenesis genesis() {
        return genesis;
    }

    public LocalInfra infra() {
        return infra;
    }

    public String url(String service, int node) {
        return "http://127.0.0.1:" + portOf(service, node);
    }

    public int p2pPort(int node) {
        return basePort + node;
    }

    private synchronized ServiceProcess process(int node, String service) {
        return processes.stream().filter(p -> p.node() == node && p.service().equals(service)).findFirst()
                .orElseThrow(() -> new IllegalStateException("node " + node + " " + service + " is not running"));
    }

    /** kill -9 of the service's JVM (a crash: no shutdown hook, nothing flushed). */
    public void kill(int node, String service) {
        ServiceProcess p = process(node, service);
        ProcessHandle jvm = jvms.remove(p.process());
        if (jvm != null) jvm.destroyForcibly();
        p.process().descendants().forEach(ProcessHandle::destroyForcibly);
        Watchdog.stop(p.process(), p.pipe(), Duration.ofSeconds(20));
        synchronized (this) {
            processes.remove(p);
        }
    }

    /** A clean stop (SIGTERM). */
    public void stop(int node, String service) {
        ServiceProcess p = process(node, service);
        Watchdog.stop(p.process(), p.pipe(), Duration.ofSeconds(30));
        stopJvmOf(p);
        synchronized (this) {
            processes.remove(p);
        }
    }

    /** The shared Kafka broker crashes (kill -9) and comes back on its port with its data; returns once it serves again. */
    public void crashBroker() {
        infra.kafka().crashAndRestart(LocalInfra.START_TIMEOUT);
    }

    /** Starts a stopped service again and waits until it is ready. */
    public void restart(int node, String service) {
        restart(node, List.of(service));
    }

    /** Starts stopped services of one node again, all at once (as an orchestrator would), and waits until all are ready. */
    public void restart(int node, List<String> services) {
        List<ServiceProcess> started = new ArrayList<>();
        for (String service : services) started.add(launch(node, service, genesis));
        synchronized (this) {
            processes.addAll(started);
            writeState(genesis); // their new pids
        }
        awaitReady(started);
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new LinkedHashMap<>();
        String command = args.length > 0 ? args[0] : "up";
        for (int i = 1; i + 1 < args.length; i += 2) opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        Path root = Path.of(opts.getOrDefault("root", ".")).toAbsolutePath().normalize();
        Path dir = Path.of(opts.getOrDefault("dir", root.resolve(".devnet").toString())).toAbsolutePath();
        switch (command) {
            case "up" -> {
                Map<String, String> properties = new LinkedHashMap<>();
                if (opts.containsKey("block-interval-millis")) properties.put("timecoin.consensus.block-interval-millis", opts.get("block-interval-millis"));
                Devnet d = new Devnet(root, dir, Integer.parseInt(opts.getOrDefault("nodes", "4")), opts.getOrDefault("seed", "devnet"),
                        Integer.parseInt(opts.getOrDefault("base-port", "24200")), properties);
                System.exit(d.runUntilStopped());
            }
            case "status" -> System.exit(status(dir));
            case "timeline" -> {
                Properties state = readState(dir);
                System.exit(TxTimeline.print(LocalKafka.attached(dir.resolve("infra/kafka"), state.getProperty("kafka.bootstrap.servers")), Integer.parseInt(state.getProperty("nodes")),
                        Long.parseLong(opts.getOrDefault("last-seconds", "0"))));
            }
            default -> {
                System.err.println("usage: Devnet up [--nodes N] [--dir D] [--seed S] [--base-port P] [--block-interval-millis M] | status [--dir D] | timeline [--dir D]");
                System.exit(2);
            }
        }
    }

    int portOf(String service, int node) {
        return switch (service) {
            case "gateway" -> basePort + 10 + node;
            case "ledger" -> basePort + 20 + node;
            case "consensus" -> basePort + 30 + node;
            case "p2p" -> basePort + 40 + node;
            default -> throw new IllegalArgumentException(service);
        };
    }

    int runUntilStopped() throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopAll();
            stopped.countDown();
        }, "devnet-stop"));
        try {
            start();
        } catch (RuntimeException e) {
            System.out.println("FAILED: " + e.getMessage());
            System.out.flush();
            return 1;
        }
        System.out.println("READY");
        System.out.flush();
        stopped.await();
        return 0;
    }

    private void start() {
        if (nodes < 1 || nodes > 10) throw new IllegalArgumentException("--nodes must be 1..10");
        for (String s : SERVICES) {
            Path jar = quarkusJar(s);
            if (!Files.exists(jar)) throw new IllegalStateException(s + "-service is not built (" + jar + "): run ./mvnw package -DskipTests");
        }
        for (int i = 0; i < nodes; i++) {
            for (String s : SERVICES) {
                if (FreePorts.accepting(portOf(s, i))) throw new IllegalStateException("port " + portOf(s, i) + " (node " + i + " " + s + ") is already in use");
            }
            if (FreePorts.accepting(p2pPort(i))) throw new IllegalStateException("port " + p2pPort(i) + " (node " + i + " p2p) is already in use");
        }
        genesis = DevnetGenesis.create(seed, nodes);
        log("genesis " + genesis.hash().hex() + " (seed '" + seed + "', " + nodes + " masternodes, chain id " + genesis.chainId() + ")");
        log("starting Kafka broker and PostgreSQL under " + dir.resolve("infra") + " ...");
        Instant t0 = Instant.now();
        infra = LocalInfra.start(dir.resolve("infra"));
        log("Kafka " + infra.kafka().bootstrapServers() + ", PostgreSQL " + infra.postgres().host() + ":" + infra.postgres().port()
                + " (" + Duration.between(t0, Instant.now()).toMillis() + " ms)");
        try {
            Files.createDirectories(dir.resolve("logs"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (int i = 0; i < nodes; i++) {
            // each node's stack: its topics first (its services may not create any), then a Kafka user per service
            // allowed only that service's topics and groups, as in Kubernetes (StackTopics)
            infra.kafka().createTopics(topicPrefix(i), StackTopics.all());
            for (String s : SERVICES) {
                if (!s.equals("gateway")) infra.postgres().ensureDatabase("node" + i + "_" + s);
                infra.kafka().createServiceUser(kafkaUser(i, s), topicPrefix(i), StackTopics.of(s));
                processes.add(launch(i, s, genesis));
            }
        }
        log("started " + processes.size() + " service processes; waiting for readiness ...");
        awaitReady(processes);
        writeState(genesis);
        log("devnet up in " + Duration.between(t0, Instant.now()).toSeconds() + " s. Gateways:");
        for (int i = 0; i < nodes; i++) log("  node " + i + ": http://127.0.0.1:" + portOf("gateway", i) + "   (p2p 127.0.0.1:" + p2pPort(i) + ")");
        log("logs: " + dir.resolve("logs") + "   stop: bin/devnet down");
    }

    private void awaitReady(List<ServiceProcess> started) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        List<ServiceProcess> pending = new ArrayList<>(started);
        Instant deadline = Instant.now().plus(READY_TIMEOUT);
        while (!pending.isEmpty()) {
            for (var it = pending.iterator(); it.hasNext(); ) {
                ServiceProcess p = it.next();
                if (!p.process().isAlive()) throw new IllegalStateException("node " + p.node() + " " + p.service() + " exited; log: " + p.log());
                if (ready(http, p.httpPort())) {
                    log("  node " + p.node() + " " + p.service() + " ready on http://127.0.0.1:" + p.httpPort());
                    it.remove();
                }
            }
            if (Instant.now().isAfter(deadline)) {
                ServiceProcess p = pending.get(0);
                throw new IllegalStateException("node " + p.node() + " " + p.service() + " not ready after " + READY_TIMEOUT.toSeconds() + " s; log: " + p.log());
            }
            sleep(250);
        }
    }

    private Path quarkusJar(String service) {
        return projectRoot.resolve(service + "-service/target/quarkus-app/quarkus-run.jar");
    }

    private static String topicPrefix(int node) {
        return "node" + node + ".";
    }

    private static String kafkaUser(int node, String service) {
        return "node" + node + "-" + service;
    }

    private ServiceProcess launch(int node, String service, DevnetGenesis genesis) {
        int port = portOf(service, node);
        Path log = dir.resolve("logs/node" + node + "-" + service + ".log");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms64m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dquarkus.http.port=" + port,
                "-Dkafka.bootstrap.servers=" + infra.kafka().bootstrapServers(),
                "-Dtimecoin.node.index=" + node,
                "-Dtimecoin.topic.prefix=" + topicPrefix(node),
                "-Dtimecoin.genesis.seed=" + genesis.seed(),
                "-Dtimecoin.genesis.nodes=" + nodes,
                "-Dvertx.cacheDirBase=" + dir.resolve("vertx-cache")));
        if (service.equals("gateway")) {
            cmd.add("-Dtimecoin.gateway.ledger-url=http://127.0.0.1:" + portOf("ledger", node));
            cmd.add("-Dtimecoin.gateway.consensus-url=http://127.0.0.1:" + portOf("consensus", node));
            cmd.add("-Dtimecoin.gateway.p2p-url=http://127.0.0.1:" + portOf("p2p", node));
            // every devnet client comes from loopback, one address: the public default (50 per second per address)
            // would cap a load test at 25 payments per second per gateway (a submission and a finality wait each)
            cmd.add("-Dtimecoin.gateway.requests-per-second=" + DEVNET_REQUESTS_PER_SECOND);
            // and the public share of finality waits (100 per address) would cap a load test at 100 lanes per gateway
            cmd.add("-Dtimecoin.gateway.max-waits-per-client=" + DEVNET_WAITS_PER_CLIENT);
        }
        if (service.equals("p2p")) {
            int seedNode = node == 0 ? (nodes > 1 ? 1 : 0) : 0; // one seed each; the rest is discovered
            cmd.add("-Dtimecoin.p2p.port=" + p2pPort(node));
            cmd.add("-Dtimecoin.p2p.listen-host=127.0.0.1");
            cmd.add("-Dtimecoin.p2p.seeds=127.0.0.1:" + p2pPort(seedNode));
            cmd.add("-Dtimecoin.p2p.ledger-url=http://127.0.0.1:" + portOf("ledger", node));
            cmd.add("-Dtimecoin.p2p.ping-interval-millis=5000");
            cmd.add("-Dtimecoin.p2p.dead-after-millis=15000");
            cmd.add("-Dtimecoin.p2p.discovery-interval-millis=5000");
            cmd.add("-Dtimecoin.p2p.reconnect-base-millis=500");
            cmd.add("-Dtimecoin.p2p.reconnect-max-millis=5000");
        }
        if (!service.equals("gateway")) {
            String db = "node" + node + "_" + service;
            cmd.add("-Dquarkus.datasource.jdbc.url=" + infra.postgres().jdbcUrl(db));
            // each service logs in as its own database's role: it can reach no other service's tables
            cmd.add("-Dquarkus.datasource.username=" + infra.postgres().login(db).user());
            cmd.add("-Dquarkus.datasource.password=" + infra.postgres().login(db).password());
        }
        properties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        // extra JVM options after the defaults (a later flag wins), for every service and then for one kind of service
        // (TIMECOIN_DEVNET_LEDGER_JAVA_OPTS, ...): e.g. full tiered compilation where the CPU goes
        for (String name : List.of("TIMECOIN_DEVNET_JAVA_OPTS", "TIMECOIN_DEVNET_" + service.toUpperCase(java.util.Locale.ROOT) + "_JAVA_OPTS")) {
            String extra = System.getenv(name);
            if (extra != null && !extra.isBlank()) cmd.addAll(List.of(extra.trim().split("\\s+")));
        }
        cmd.addAll(List.of("-jar", quarkusJar(service).toString()));
        try {
            ProcessBuilder pb = new ProcessBuilder(Watchdog.wrap(cmd)).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            pb.environment().putAll(infra.kafka().login(kafkaUser(node, service)).environment());
            Process p = pb.start();
            return new ServiceProcess(node, service, port, p, p.getOutputStream(), log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start node " + node + " " + service, e);
        }
    }

    private static boolean ready(HttpClient http, int port) {
        try {
            HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/health/ready"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String fetch(HttpClient http, String url) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? r.body() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The median finality of payments submitted at this gateway; "—" if none was (its timer has no samples, not 0 ms). */
    static String localP50(String chain) {
        return "0".equals(field(chain, "submittedHereAndFinal")) ? "—" : field(chain, "latencyP50Millis") + " ms";
    }

    /** One scalar field of a flat-enough JSON text (status output only). */
    private static String field(String json, String name) {
        var m = java.util.regex.Pattern.compile("\"" + name + "\":\"?([^\",}]*)").matcher(json);
        return m.find() ? m.group(1) : "–";
    }

    private synchronized void writeState(DevnetGenesis genesis) {
        Properties p = new Properties();
        p.setProperty("supervisor.pid", Long.toString(ProcessHandle.current().pid()));
        p.setProperty("nodes", Integer.toString(nodes));
        p.setProperty("genesis.seed", seed);
        p.setProperty("genesis.hash", genesis.hash().hex());
        p.setProperty("kafka.bootstrap.servers", infra.kafka().bootstrapServers());
        p.setProperty("postgres", infra.postgres().host() + ":" + infra.postgres().port());
        for (ServiceProcess s : processes) {
            p.setProperty("node" + s.node() + "." + s.service() + ".http", Integer.toString(s.httpPort()));
            p.setProperty("node" + s.node() + "." + s.service() + ".pid", Long.toString(jvmPid(s))); // the load generator reads RSS
        }
        try (var out = Files.newBufferedWriter(dir.resolve("devnet.properties"), StandardCharsets.UTF_8)) {
            p.store(out, "written by bin/devnet up; removed by bin/devnet down");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The running devnet's state file (written by {@code up}, removed by {@code down}). */
    static Properties readState(Path dir) throws IOException {
        Properties p = new Properties();
        try (var in = Files.newBufferedReader(dir.resolve("devnet.properties"), StandardCharsets.UTF_8)) {
            p.load(in);
        }
        return p;
    }

    static int status(Path dir) throws IOException {
        Path state = dir.resolve("devnet.properties");
        if (!Files.exists(state)) {
            System.out.println("no devnet running (no " + state + ")");
            return 1;
        }
        Properties p = readState(dir);
        long pid = Long.parseLong(p.getProperty("supervisor.pid"));
        boolean alive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        System.out.println("devnet supervisor pid " + pid + (alive ? " running" : " NOT RUNNING") + "; genesis " + p.getProperty("genesis.hash")
                + "; Kafka " + p.getProperty("kafka.bootstrap.servers") + "; PostgreSQL " + p.getProperty("postgres"));
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        int nodes = Integer.parseInt(p.getProperty("nodes"));
        int down = 0;
        for (int i = 0; i < nodes; i++) {
            StringBuilder line = new StringBuilder("node " + i + ":");
            for (String s : SERVICES) {
                int port = Integer.parseInt(p.getProperty("node" + i + "." + s + ".http"));
                boolean ok = ready(http, port);
                if (!ok) down++;
                line.append("  ").append(s).append(' ').append(ok ? "ready" : "DOWN").append(" (:").append(port).append(')');
            }
            System.out.println(line);
            String gateway = "http://127.0.0.1:" + p.getProperty("node" + i + ".gateway.http");
            String node = fetch(http, gateway + "/v1/node");
            String chain = fetch(http, gateway + "/v1/chain");
            if (node != null && chain != null) {
                System.out.println("        height " + field(chain, "height") + ", " + field(node, "state") + ", " + field(node, "peers") + " peers, "
                        + field(chain, "transactionsFinalized") + " transactions final (p50 " + localP50(chain) + " here), tip "
                        + field(chain, "tipHash"));
            }
        }
        return alive && down == 0 ? 0 : 1;
    }

    synchronized void stopAll() {
        for (ServiceProcess p : processes) {
            try {
                p.pipe().close();
            } catch (IOException ignored) {
                // already closed: the watchdog is stopping that service
            }
        }
        for (ServiceProcess p : processes) {
            Watchdog.stop(p.process(), null, Duration.ofSeconds(20));
            stopJvmOf(p);
        }
        processes.clear();
        if (infra != null) {
            infra.close();
            infra = null;
        }
        try {
            Files.deleteIfExists(dir.resolve("devnet.properties"));
        } catch (IOException ignored) {
            // best effort: status reports a dead supervisor anyway
        }
    }

    private static void log(String line) {
        System.out.println(line);
        System.out.flush();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
