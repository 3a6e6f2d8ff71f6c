package org.timecoin.gateway;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.ConfigProvider;
import org.timecoin.protocol.util.TokenBuckets;

import io.vertx.core.http.HttpServerRequest;

/**
 * What one client may use of the public API: requests per second (a token bucket; a JSON-RPC call costs one token,
 * batched or not) and finality waits at once. A client is the address the request came from, or, behind an ingress,
 * the address a trusted proxy forwards (Quarkus' {@code quarkus.http.proxy.*}: forwarded headers are read only from
 * {@code trusted-proxies}, so a client talking directly cannot name itself a new address per request).
 */
@ApplicationScoped
public class ClientLimits {
    private final GatewaySettings settings;
    private final TokenBuckets buckets;
    private final Map<String, Integer> waits = new ConcurrentHashMap<>();

    public ClientLimits(GatewaySettings settings) {
        this.settings = settings;
        var config = ConfigProvider.getConfig();
        boolean forwarding = config.getOptionalValue("quarkus.http.proxy.proxy-address-forwarding", Boolean.class).orElse(false);
        Optional<String> trusted = config.getOptionalValue("quarkus.http.proxy.trusted-proxies", String.class);
        // Quarkus trusts every proxy when the list is empty: any client could then pick its own address and bucket
        if (forwarding && trusted.filter(t -> !t.isBlank()).isEmpty()) {
            throw new IllegalStateException("quarkus.http.proxy.proxy-address-forwarding is on but quarkus.http.proxy.trusted-proxies is empty: "
                    + "name the ingress' addresses (every client could pick its own address otherwise)");
        }
        this.buckets = new TokenBuckets(settings.requestsPerSecond(), 2 * settings.requestsPerSecond(), settings.trackedClients());
    }

    /** The client a request counts against (already the forwarded address when it came through a trusted proxy). */
    public static String client(HttpServerRequest request) {
        return request == null || request.remoteAddress() == null ? "unknown" : request.remoteAddress().hostAddress();
    }

    /** Takes {@code tokens} from the client's bucket, or nothing; always true when the limit is off. */
    public boolean tryTake(String client, int tokens) {
        return settings.requestsPerSecond() <= 0 || buckets.tryTake(client, System.currentTimeMillis(), tokens);
    }

    public double requestsPerSecond() {
        return settings.requestsPerSecond();
    }

    /**
     * Runs a finality wait counted against the client: over {@code max-waits-per-client} at once it is refused with 429
     * TOO_MANY_WAITERS (the total is bounded too, by {@code max-waits}), so one client cannot take every wait slot.
     */
    public <T> CompletionStage<T> waiting(String client, Supplier<CompletionStage<T>> wait) {
        int now = waits.merge(client, 1, Integer::sum);
        if (now > settings.maxWaitsPerClient()) {
            release(client);
            throw new ApiException(429, "TOO_MANY_WAITERS", "more than " + settings.maxWaitsPerClient() + " finality waits at once from " + client
                    + "; poll the status instead");
        }
        try {
            return wait.get().whenComplete((v, x) -> release(client));
        } catch (RuntimeException e) {
            release(client);
            throw e;
        }
    }

    private void release(String client) {
        waits.computeIfPresent(client, (k, n) -> n <= 1 ? null : n - 1);
    }
}
