package org.timecoin.gateway;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.smallrye.common.annotation.Blocking;
import io.vertx.core.http.HttpServerRequest;

/**
 * JSON-RPC 2.0 with the original TimeCoin method names, mapped onto the same features as the REST API. Amounts are
 * integers in sat. Application errors carry code -32000 and the REST problem's code in {@code data.type}.
 */
@Path("/rpc")
public class JsonRpcResource {
    static final List<String> METHODS = List.of("getblockchaininfo", "getblockcount", "getblock", "getrawtransaction", "sendrawtransaction",
            "getbalance", "listunspent", "getaddresstransactions", "masternodelist", "getconsensusinfo", "gettransactionfinality", "waittransactionfinality",
            "validateaddress", "getmempoolinfo", "getpeerinfo", "uptime");

    private final GatewayApi api;
    private final ObjectMapper json;
    private final ClientLimits limits;

    public JsonRpcResource(GatewayApi api, ObjectMapper json, ClientLimits limits) {
        this.api = api;
        this.json = json;
        this.limits = limits;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Blocking // sendrawtransaction checks signatures
    @Tag(name = "json-rpc")
    @Operation(operationId = "jsonRpc", summary = "JSON-RPC 2.0 (single or batch of 1 to 100 calls) with the original project's method names",
            description = "Methods: getblockchaininfo, getblockcount, getblock [height|hash, raw], getrawtransaction [txid], sendrawtransaction [hex], "
                    + "getbalance [address], listunspent [address, after, limit], getaddresstransactions [address, after, limit], masternodelist, getconsensusinfo, "
                    + "gettransactionfinality [txid], waittransactionfinality [txid, timeoutMillis], validateaddress [address], getmempoolinfo, "
                    + "getpeerinfo, uptime. Answers are always HTTP 200 with JSON-RPC errors in the body: -32700 parse error, -32600 invalid "
                    + "request (or a batch outside 1..100), -32601 method not found, -32602 invalid params, -32000 an application error whose "
                    + "data.type is the REST problem's code (e.g. INPUT_SPENT, UNKNOWN_TRANSACTION). Amounts are integers in sat.")
    public CompletionStage<JsonNode> call(String body, @Context HttpServerRequest http) {
        String client = ClientLimits.client(http);
        JsonNode request;
        try {
            request = json.readTree(body);
        } catch (Exception e) {
            return CompletableFuture.completedFuture(error(null, -32700, "parse error", null));
        }
        if (request == null) return CompletableFuture.completedFuture(error(null, -32600, "empty request", null));
        if (!request.isArray()) return one(request, client);
        if (request.isEmpty() || request.size() > 100) return CompletableFuture.completedFuture(error(null, -32600, "a batch has 1..100 calls", null));
        // a call costs one token batched or not (the request's own token was taken by the rate limit filter)
        if (!limits.tryTake(client, request.size() - 1)) {
            throw new ApiException(429, "RATE_LIMITED", "a batch of " + request.size() + " calls is more than the rate left to " + client);
        }
        List<CompletableFuture<JsonNode>> calls = new ArrayList<>();
        for (JsonNode r : request) calls.add(one(r, client).toCompletableFuture());
        return CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).thenApply(v -> {
            ArrayNode out = json.createArrayNode();
            for (CompletableFuture<JsonNode> c : calls) out.add(c.join());
            return out;
        });
    }

    private CompletionStage<JsonNode> one(JsonNode r, String client) {
        JsonNode id = r.get("id");
        if (!r.isObject() || !"2.0".equals(r.path("jsonrpc").asText()) || !r.path("method").isTextual()) {
            return CompletableFuture.completedFuture(error(id, -32600, "invalid request: need jsonrpc \"2.0\" and a method", null));
        }
        String method = r.path("method").asText();
        JsonNode params = r.path("params");
        CompletableFuture<?> result;
        try {
            result = dispatch(method, params, client);
        } catch (RuntimeException e) {
            result = CompletableFuture.failedFuture(e);
        }
        return result.handle((value, x) -> {
            if (x == null) {
                ObjectNode ok = json.createObjectNode().put("jsonrpc", "2.0");
                ok.set("result", json.valueToTree(value));
                ok.set("id", id);
                return (JsonNode) ok;
            }
            ApiException a = ProblemMapper.toApi(x);
            if (a.code().equals("METHOD_NOT_FOUND")) return error(id, -32601, a.getMessage(), null);
            if (a.code().equals("INVALID_PARAMS")) return error(id, -32602, a.getMessage(), null);
            return error(id, -32000, a.getMessage(), a);
        });
    }

    private CompletableFuture<?> dispatch(String method, JsonNode params, String client) {
        return switch (method) {
            case "getblockchaininfo" -> api.chain();
            case "getblockcount" -> api.chain().thenApply(c -> c.path("height").asLong());
            case "getblock" -> api.block(param(params, 0, "block"), bool(params, 1, "raw"));
            case "getrawtransaction", "gettransactionfinality" -> api.transaction(param(params, 0, "txid"));
            case "sendrawtransaction" -> CompletableFuture.completedFuture(api.submit(param(params, 0, "hex")).txid());
            case "getbalance" -> api.balance(param(params, 0, "address"));
            case "listunspent" -> api.utxos(param(params, 0, "address"), optional(params, 1, "after"), (int) number(params, 2, "limit", 100));
            case "getaddresstransactions" -> api.history(param(params, 0, "address"), optional(params, 1, "after"), (int) number(params, 2, "limit", 50));
            case "masternodelist" -> api.masternodes();
            case "getconsensusinfo" -> api.consensusInfo();
            case "waittransactionfinality" -> {
                String txid = param(params, 0, "txid");
                long timeout = number(params, 1, "timeoutMillis", 10_000);
                yield limits.waiting(client, () -> api.waitForFinality(txid, timeout)).toCompletableFuture();
            }
            case "validateaddress" -> CompletableFuture.completedFuture(api.validateAddress(param(params, 0, "address")));
            case "getmempoolinfo" -> api.mempool();
            case "getpeerinfo" -> api.peers();
            case "uptime" -> CompletableFuture.completedFuture(api.uptimeSeconds());
            default -> throw new ApiException(404, "METHOD_NOT_FOUND", "unknown method '" + method + "'; methods: " + String.join(", ", METHODS));
        };
    }

    private static JsonNode at(JsonNode params, int index, String name) {
        if (params.isArray()) return params.get(index);
        if (params.isObject()) return params.get(name);
        return null;
    }

    private static String param(JsonNode params, int index, String name) {
        JsonNode v = at(params, index, name);
        if (v == null || v.isNull()) throw new ApiException(400, "INVALID_PARAMS", "missing parameter " + index + " (" + name + ")");
        return v.asText();
    }

    private static String optional(JsonNode params, int index, String name) {
        JsonNode v = at(params, index, name);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static long number(JsonNode params, int index, String name, long fallback) {
        JsonNode v = at(params, index, name);
        if (v == null || v.isNull()) return fallback;
        if (!v.canConvertToLong()) throw new ApiException(400, "INVALID_PARAMS", "parameter " + name + " must be an integer");
        return v.asLong();
    }

    private static boolean bool(JsonNode params, int index, String name) {
        JsonNode v = at(params, index, name);
        return v != null && v.asBoolean(false);
    }

    private ObjectNode error(JsonNode id, int code, String message, ApiException problem) {
        ObjectNode e = json.createObjectNode().put("code", code).put("message", message);
        if (problem != null) e.putObject("data").put("type", problem.code()).put("status", problem.status());
        ObjectNode out = json.createObjectNode().put("jsonrpc", "2.0");
        out.set("error", e);
        out.set("id", id);
        return out;
    }
}
