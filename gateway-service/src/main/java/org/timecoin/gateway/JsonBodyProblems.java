package org.timecoin.gateway;

import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;

/**
 * A body that is not the JSON object an operation takes ({@code []}, a string, broken JSON) answers problem+json like
 * every other error: Jackson's built-in mappers would answer a bare 400, and the application's mappers of the same
 * exception take precedence over them.
 */
public class JsonBodyProblems {
    @ServerExceptionMapper
    public Response mismatched(MismatchedInputException e) {
        return problem(e);
    }

    @ServerExceptionMapper
    public Response unparsable(JsonParseException e) {
        return problem(e);
    }

    @ServerExceptionMapper
    public Response unreadable(JsonProcessingException e) {
        return problem(e);
    }

    private static Response problem(JsonProcessingException e) {
        ApiException a = ProblemMapper.invalidBody(e);
        return ProblemMapper.problem(a.status(), a.code(), a.getMessage());
    }
}
