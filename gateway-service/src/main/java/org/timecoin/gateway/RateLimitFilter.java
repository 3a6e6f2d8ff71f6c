package org.timecoin.gateway;

import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.timecoin.protocol.util.TokenBucket;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.http.HttpServerRequest;

/** Per-client-IP token bucket on the public API (/v1, /rpc): over the limit → 429 problem+json with Retry-After. */
public class RateLimitFilter {
    private final GatewaySettings settings;
    private final Counter limited;
    private final Map<String, TokenBucket> buckets;

    public RateLimitFilter(GatewaySettings settings, MeterRegistry registry) {
        this.settings = settings;
        this.limited = registry.counter("timecoin_gateway_rate_limited");
        int capacity = settings.trackedClients();
        this.buckets = new LinkedHashMap<>(1024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, TokenBucket> eldest) {
                return size() > capacity;
            }
        };
    }

    @ServerRequestFilter(preMatching = true)
    public Response limit(ContainerRequestContext ctx, HttpServerRequest request) {
        double rate = settings.requestsPerSecond();
        String path = ctx.getUriInfo().getPath();
        if (rate <= 0 || !(path.startsWith("/v1") || path.startsWith("/rpc"))) return null;
        String client = request.remoteAddress() == null ? "unknown" : request.remoteAddress().hostAddress();
        long now = System.currentTimeMillis();
        boolean allowed;
        synchronized (buckets) {
            allowed = buckets.computeIfAbsent(client, c -> new TokenBucket(rate, 2 * rate, now)).tryTake(now);
        }
        if (allowed) return null;
        limited.increment();
        Response problem = ProblemMapper.problem(429, "RATE_LIMITED", "more than " + rate + " requests per second from " + client);
        return Response.fromResponse(problem).header("Retry-After", "1").build();
    }
}
