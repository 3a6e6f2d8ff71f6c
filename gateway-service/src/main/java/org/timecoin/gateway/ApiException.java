package org.timecoin.gateway;

/** An error with an HTTP status and a stable code: problem+json at the REST edge, an error object in JSON-RPC. */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String code;

    public ApiException(int status, String code, String detail) {
        super(detail);
        this.status = status;
        this.code = code;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }
}
