package org.timecoin.gateway;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.http.HttpServerRequest;

/** One token per request on the public API (/v1, /rpc) from the client's bucket: over the limit → 429 problem+json with Retry-After. */
public class RateLimitFilter {
    private final ClientLimits limits;
    private final Counter limited;

    public RateLimitFilter(ClientLimits limits, MeterRegistry registry) {
        this.limits = limits;
        this.limited = registry.counter("timecoin_gateway_rate_limited");
    }

    @ServerRequestFilter(preMatching = true)
    public Response limit(ContainerRequestContext ctx, HttpServerRequest request) {
        String path = ctx.getUriInfo().getPath();
        if (!(path.startsWith("/v1") || path.startsWith("/rpc"))) return null;
        String client = ClientLimits.client(request);
        if (limits.tryTake(client, 1)) return null;
        limited.increment();
        return ProblemMapper.problem(429, "RATE_LIMITED", "more than " + limits.requestsPerSecond() + " requests per second from " + client);
    }
}
