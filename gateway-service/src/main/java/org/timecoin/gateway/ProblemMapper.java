package org.timecoin.gateway;

import java.util.concurrent.CompletionException;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

import org.jboss.logging.Logger;
import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.service.Problems;

/** Every error leaves as application/problem+json (RFC 9457) with a stable type URI per code. */
@Provider
public class ProblemMapper implements ExceptionMapper<Throwable> {
    private static final Logger LOG = Logger.getLogger(ProblemMapper.class);

    public static Response problem(int status, String code, String detail) {
        Response.ResponseBuilder r = Problems.response(status, code, detail);
        // a client over its rate, or a full mempool (it empties within seconds: finality takes under one), may retry soon
        if (status == 429 || code.equals(org.timecoin.protocol.rules.RejectReason.MEMPOOL_FULL.name())) r.header("Retry-After", "1");
        return r.build();
    }

    public static ApiException toApi(Throwable t) {
        while (t instanceof CompletionException && t.getCause() != null) t = t.getCause();
        if (t instanceof ApiException a) return a;
        if (t instanceof com.fasterxml.jackson.core.JsonProcessingException j) return invalidBody(j);
        if (t instanceof ProtocolException p) return new ApiException(400, p.reason().name(), p.getMessage());
        if (t instanceof IllegalArgumentException i) return new ApiException(400, "INVALID_VALUE", i.getMessage());
        if (t instanceof WebApplicationException w && w.getCause() instanceof com.fasterxml.jackson.core.JsonProcessingException j) return invalidBody(j);
        if (t instanceof WebApplicationException w) {
            int s = w.getResponse().getStatus();
            return new ApiException(s, s == 404 ? "NOT_FOUND" : s == 405 ? "METHOD_NOT_ALLOWED" : s == 415 ? "UNSUPPORTED_MEDIA_TYPE"
                    : s == 413 ? "BODY_TOO_LARGE" : "BAD_REQUEST", w.getMessage());
        }
        LOG.warnf(t, "unexpected error");
        return new ApiException(500, "INTERNAL", "internal error");
    }

    /** A body that is not JSON, or not the JSON object the operation takes (an array, a string, a wrong field type). */
    static ApiException invalidBody(com.fasterxml.jackson.core.JsonProcessingException e) {
        String what = e.getOriginalMessage() == null ? "unreadable" : e.getOriginalMessage();
        return new ApiException(400, "INVALID_BODY", "the body must be a JSON object of this operation: " + what.lines().findFirst().orElse(what));
    }

    @Override
    public Response toResponse(Throwable t) {
        ApiException a = toApi(t);
        return problem(a.status(), a.code(), a.getMessage());
    }
}
