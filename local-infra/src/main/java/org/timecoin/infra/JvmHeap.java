package org.timecoin.infra;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Heap a service really holds: a full GC in its JVM ({@code jcmd GC.run}), then the heap in use from its own metrics. */
public final class JvmHeap {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private JvmHeap() {
    }

    /** Bytes in use on the heap of the JVM {@code pid} right after a full GC; {@code baseUrl} serves its {@code /q/metrics}. */
    public static long afterFullGc(long pid, String baseUrl) throws IOException, InterruptedException {
        Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(pid), "GC.run")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!jcmd.waitFor(60, TimeUnit.SECONDS) || jcmd.exitValue() != 0) throw new IllegalStateException("jcmd " + pid + " GC.run failed");
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(baseUrl + "/q/metrics")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IllegalStateException(baseUrl + "/q/metrics: HTTP " + r.statusCode());
        double sum = 0;
        for (String line : r.body().split("\n")) {
            if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
        return (long) sum;
    }
}
