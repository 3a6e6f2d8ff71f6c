package org.timecoin.gateway;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.ext.web.Router;

/**
 * A body announced larger than {@code quarkus.http.limits.max-body-size} is refused before it is read, as 413
 * problem+json (the HTTP server's own refusal has no body). A chunked body without a length still meets the server's
 * limit, answered without a body.
 */
@ApplicationScoped
public class BodyLimit {
    void install(@Observes Router router, @ConfigProperty(name = "quarkus.http.limits.max-body-size", defaultValue = "10240K") MemorySize max,
                 ObjectMapper json) throws JsonProcessingException {
        long limit = max.asLongValue();
        String body = json.writeValueAsString(org.timecoin.service.Problems.of(413, "BODY_TOO_LARGE", "the body is larger than " + limit + " bytes"));
        router.route().order(Integer.MIN_VALUE).handler(ctx -> {
            String length = ctx.request().getHeader("Content-Length");
            long announced;
            try {
                announced = length == null ? -1 : Long.parseLong(length.trim());
            } catch (NumberFormatException e) {
                announced = -1; // the server refuses a malformed length itself
            }
            if (announced > limit) {
                ctx.response().setStatusCode(413).putHeader("Content-Type", org.timecoin.service.Problems.MEDIA_TYPE).putHeader("Connection", "close").end(body);
            } else {
                ctx.next();
            }
        });
    }
}
