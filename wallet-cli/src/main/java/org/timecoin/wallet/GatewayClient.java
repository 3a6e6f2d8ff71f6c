package org.timecoin.wallet;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The gateway's REST API as the wallet uses it. Problem responses become {@link ApiError}s with their code. */
public final class GatewayClient {
    public static final class ApiError extends RuntimeException {
        final int status;
        final String code;

        ApiError(int status, String code, String detail) {
            super(code + ": " + detail);
            this.status = status;
            this.code = code;
        }
    }

    static final int MAX_ATTEMPTS = 5;
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;

    public GatewayClient(String base) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    }

    public JsonNode get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(40)).GET().build());
    }

    public JsonNode post(String path, Object body) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build());
    }

    /**
     * A 503 or 429 with Retry-After (a full mempool, a rate limit: nothing was published) is asked again after the
     * time it names, at most 5 s, up to {@link #MAX_ATTEMPTS} requests in all; the last answer stands.
     */
    private JsonNode send(HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        for (int attempt = 1; attempt < MAX_ATTEMPTS && (r.statusCode() == 503 || r.statusCode() == 429); attempt++) {
            java.util.Optional<String> retryAfter = r.headers().firstValue("Retry-After");
            if (retryAfter.isEmpty() || !retryAfter.get().trim().matches("\\d{1,9}")) break;
            Thread.sleep(Math.min(Long.parseLong(retryAfter.get().trim()), 5) * 1_000);
            r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        }
        JsonNode n = JSON.readTree(r.body());
        if (r.statusCode() >= 400) throw new ApiError(r.statusCode(), n.path("title").asText("HTTP_" + r.statusCode()), n.path("detail").asText(""));
        return n;
    }
}
