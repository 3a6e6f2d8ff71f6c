package org.timecoin.service;

import jakarta.ws.rs.core.Response;

/** Errors at a REST edge: RFC 9457 problem+json with a stable type URI per code (the code as its title). */
public final class Problems {
    public static final String MEDIA_TYPE = "application/problem+json";

    public record Problem(String type, String title, int status, String detail) {
    }

    private Problems() {
    }

    public static Problem of(int status, String code, String detail) {
        return new Problem("https://timecoin.org/problems/" + code.toLowerCase().replace('_', '-'), code, status, detail);
    }

    /** The response, open for more headers. */
    public static Response.ResponseBuilder response(int status, String code, String detail) {
        return Response.status(status).type(MEDIA_TYPE).entity(of(status, code, detail));
    }
}
