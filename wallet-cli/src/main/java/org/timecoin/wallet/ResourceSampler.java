package org.timecoin.wallet;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Memory and CPU of the services under load, sampled over time: heap in use (the JVM's own figure, from each
 * service's {@code /q/metrics}), resident set size and CPU time (from {@code /proc/<pid>/status} and {@code stat}, when
 * the process is local and its pid known — a devnet's state file records them), and the whole machine's CPU time
 * (broker, database and this generator included). A figure that cannot be read is -1.
 */
final class ResourceSampler {
    /** Linux reports CPU time in clock ticks of 1/100 s (USER_HZ) on every architecture the JDK runs on. */
    static final double TICKS_PER_SECOND = 100;
    /** One service: a name for the report, its base URL, its pid (-1: not local). */
    record Target(String name, String url, long pid) {
    }

    private final List<Target> targets;
    private final HttpClient http;
    /** Per target, samples of {heap, rss} in bytes and CPU ticks, in time order. */
    private final List<List<long[]>> series = new ArrayList<>();
    /** The machine's busy CPU ticks (all CPUs) at each sample. */
    private final List<Long> machine = new ArrayList<>();

    ResourceSampler(List<Target> targets) {
        this.targets = List.copyOf(targets);
        // its own client (HTTP/1.1, no upgrade attempts), apart from the one carrying the load
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        for (int i = 0; i < targets.size(); i++) series.add(new ArrayList<>());
    }

    /** Every service of a devnet started by {@code bin/devnet up} (its {@code devnet.properties}). */
    static List<Target> devnet(Path dir) throws IOException {
        Properties p = new Properties();
        try (var in = Files.newBufferedReader(dir.resolve("devnet.properties"))) {
            p.load(in);
        }
        List<Target> out = new ArrayList<>();
        int nodes = Integer.parseInt(p.getProperty("nodes"));
        for (int i = 0; i < nodes; i++) {
            for (String s : List.of("ledger", "consensus", "p2p", "gateway")) {
                String port = p.getProperty("node" + i + "." + s + ".http");
                if (port == null) continue;
                out.add(new Target("node" + i + " " + s, "http://127.0.0.1:" + port, Long.parseLong(p.getProperty("node" + i + "." + s + ".pid", "-1"))));
            }
        }
        return out;
    }

    boolean isEmpty() {
        return targets.isEmpty();
    }

    /** One sample of every service, all asked at once (a slow service delays the sample by at most the timeout). */
    synchronized void sample() {
        List<java.util.concurrent.CompletableFuture<Long>> heaps = new ArrayList<>();
        for (Target t : targets) {
            heaps.add(http.sendAsync(HttpRequest.newBuilder(URI.create(t.url() + "/q/metrics")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString()).thenApply(r -> r.statusCode() == 200 ? heapInUse(r.body()) : -1L).exceptionally(x -> -1L));
        }
        for (int i = 0; i < targets.size(); i++) {
            long pid = targets.get(i).pid();
            series.get(i).add(new long[] {heaps.get(i).join(), rss(pid), cpuTicks(pid)});
        }
        machine.add(machineBusyTicks());
    }

    /** utime + stime of a process (fields 14 and 15 of {@code /proc/<pid>/stat}, counted after the command name). */
    static long cpuTicks(long pid) {
        if (pid <= 0) return -1;
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** All CPUs' ticks in user, nice, system, irq and softirq (not idle, iowait, or steal: the hypervisor's), from {@code /proc/stat}. */
    static long machineBusyTicks() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long busy = 0;
            for (int i = 1; i < f.length && i <= 7; i++) if (i != 4 && i != 5) busy += Long.parseLong(f[i]);
            return busy;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Sum of {@code jvm_memory_used_bytes} over the heap pools, from a Prometheus text exposition. */
    static long heapInUse(String metrics) {
        double sum = 0;
        for (String line : metrics.split("\n")) {
            if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
        return (long) sum;
    }

    static long rss(long pid) {
        if (pid <= 0) return -1;
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** CPU seconds between the first and the last sample, or -1. */
    private static double cpuSeconds(long first, long last) {
        return first < 0 || last < 0 ? -1 : (last - first) / TICKS_PER_SECOND;
    }

    /** The machine's busy CPU seconds (every process, all CPUs) over the samples, or -1. */
    synchronized double machineCpuSeconds() {
        return machine.size() < 2 ? -1 : cpuSeconds(machine.get(0), machine.get(machine.size() - 1));
    }

    /**
     * Per service: first, last and highest heap and RSS (bytes), the heap/RSS series in MiB, and the CPU seconds used
     * between the first and the last sample, for the JSON report.
     */
    synchronized List<Map<String, Object>> report() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < targets.size(); i++) {
            List<long[]> s = series.get(i);
            if (s.isEmpty()) continue;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("service", targets.get(i).name());
            for (int k = 0; k < 2; k++) {
                String what = k == 0 ? "heap" : "rss";
                int kk = k;
                m.put(what + "FirstBytes", s.get(0)[k]);
                m.put(what + "LastBytes", s.get(s.size() - 1)[k]);
                m.put(what + "MaxBytes", s.stream().mapToLong(v -> v[kk]).max().orElse(-1));
                m.put(what + "MiB", s.stream().map(v -> v[kk] < 0 ? -1 : v[kk] >> 20).toList());
            }
            m.put("cpuSeconds", cpuSeconds(s.get(0)[2], s.get(s.size() - 1)[2]));
            out.add(m);
        }
        return out;
    }

    /**
     * A table for people: one line per service, MiB, and CPU time per finalized transaction; the services' CPU per node
     * and, given the measured floor ({@code bin/bench floor}; 0 when unknown), their ratio.
     */
    synchronized String table(long finalized, double floorMicros) {
        StringBuilder b = new StringBuilder(String.format("%-20s %28s %28s %10s %12s%n", "service", "heap MiB first / last / max", "RSS MiB first / last / max",
                "CPU s", "CPU ms/tx"));
        double services = 0;
        for (Map<String, Object> m : report()) {
            double cpu = (Double) m.get("cpuSeconds");
            services += Math.max(0, cpu);
            b.append(String.format("%-20s %28s %28s %10s %12s%n", m.get("service"), triple(m, "heap"), triple(m, "rss"), cpu < 0 ? "–" : String.format("%.1f", cpu),
                    cpu < 0 || finalized == 0 ? "–" : String.format("%.1f", cpu * 1000 / finalized)));
        }
        double all = machineCpuSeconds();
        if (all >= 0) {
            b.append(String.format("%-20s %58s %10.1f %12s%n", "services", "", services, finalized == 0 ? "–" : String.format("%.1f", services * 1000 / finalized)));
            long nodes = report().stream().map(m -> ((String) m.get("service")).split(" ")[0]).distinct().count();
            if (nodes > 0 && finalized > 0) {
                double perNodeMicros = services * 1e6 / finalized / nodes;
                b.append(String.format("%-20s %58s %10s %12.3f%n", "services per node", "(" + nodes + " nodes)", "", perNodeMicros / 1000));
                if (floorMicros > 0) b.append(String.format("%-20s %58s %10s %12.3f   measured / floor = %.1f×%n", "floor per node", "(bin/bench floor)", "",
                        floorMicros / 1000, perNodeMicros / floorMicros));
            }
            b.append(String.format("%-20s %58s %10.1f %12s%n", "whole machine", "(broker, database, generator too)", all,
                    finalized == 0 ? "–" : String.format("%.1f", all * 1000 / finalized)));
        }
        return b.toString();
    }

    private static String triple(Map<String, Object> m, String what) {
        return mib(m.get(what + "FirstBytes")) + " / " + mib(m.get(what + "LastBytes")) + " / " + mib(m.get(what + "MaxBytes"));
    }

    private static String mib(Object bytes) {
        long b = (Long) bytes;
        return b < 0 ? "–" : Long.toString(b >> 20);
    }
}
