package org.timecoin.gateway;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The stack's internal REST APIs (ledger, consensus, p2p), called asynchronously: nothing here blocks a thread. A
 * problem+json answer from the ledger keeps its code; an unreachable service is a 503.
 */
@ApplicationScoped
public class Backends {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    private final ObjectMapper json;
    private final GatewaySettings settings;

    public Backends(ObjectMapper json, GatewaySettings settings) {
        this.json = json;
        this.settings = settings;
    }

    public CompletableFuture<JsonNode> ledger(String path) {
        return get("ledger", settings.ledgerUrl() + path);
    }

    public CompletableFuture<JsonNode> consensus(String path) {
        return get("consensus", settings.consensusUrl() + path);
    }

    public CompletableFuture<JsonNode> p2p(String path) {
        return get("p2p", settings.p2pUrl() + path);
    }

    private CompletableFuture<JsonNode> get(String service, String url) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).handle((r, x) -> {
            if (x != null) throw new ApiException(503, "SERVICE_UNAVAILABLE", "the " + service + " service is not reachable");
            JsonNode body;
            try {
                body = json.readTree(r.body());
            } catch (Exception e) {
                throw new ApiException(502, "BAD_GATEWAY", "the " + service + " service answered " + r.statusCode() + " without JSON");
            }
            if (r.statusCode() >= 400) {
                String code = body.path("title").asText("BAD_GATEWAY");
                throw new ApiException(r.statusCode() >= 500 ? 502 : r.statusCode(), code, body.path("detail").asText(""));
            }
            return body;
        });
    }
}
