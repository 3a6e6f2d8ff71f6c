package org.timecoin.ledger;

import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.service.Problems;

/** Bad input at the REST edge becomes RFC 9457 problem+json with a stable type per reason. */
@Provider
public class ProblemMapper implements ExceptionMapper<ProtocolException> {
    public static Response problem(int status, String code, String detail) {
        return Problems.response(status, code, detail).build();
    }

    @Override
    public Response toResponse(ProtocolException e) {
        return problem(400, e.reason().name(), e.getMessage());
    }
}
