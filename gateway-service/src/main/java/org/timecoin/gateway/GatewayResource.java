package org.timecoin.gateway;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestStreamElementType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.vertx.core.http.HttpServerRequest;

/** The public REST API (v1). Amounts are integers in sat; errors are application/problem+json. */
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
public class GatewayResource {
    private final GatewayApi api;
    private final Events events;
    private final ClientLimits limits;

    public GatewayResource(GatewayApi api, Events events, ClientLimits limits) {
        this.limits = limits;
        this.api = api;
        this.events = events;
    }

    /** Either {@code hex} (the canonical encoding) or {@code transaction} (the JSON form of a signed transfer). */
    public record SubmitRequest(String hex, GatewayApi.JsonTransaction transaction) {
    }

    @POST
    @Path("/transactions")
    @Consumes(MediaType.APPLICATION_JSON)
    @Blocking
    @Tag(name = "transactions")
    @Operation(summary = "Submit a signed transaction (canonical encoding as hex)",
            description = "Body: {\"hex\": canonical encoding} or {\"transaction\": {inputs: [{txid, index, publicKey, signature}], outputs: [{address, amountSat}]}}. "
                    + "202 with the txid once every stateless rule and signature passed; the same transaction twice is accepted twice. "
                    + "With waitMillis (max 30 s), the answer waits for the outcome as GET /v1/transactions/{txid}/finality does, and is 200 with that status: "
                    + "submission and finality in one request; 429 TOO_MANY_WAITERS (this client holds its share of waits) means nothing was published.")
    public CompletionStage<Response> submit(SubmitRequest request, @QueryParam("waitMillis") Long waitMillis, @Context HttpServerRequest http) {
        if (waitMillis == null) {
            GatewayApi.Submitted s = submitted(request);
            return CompletableFuture.completedFuture(Response.accepted(s).header("Location", "/v1/transactions/" + s.txid()).build());
        }
        // the wait's slot is taken before anything is published: a 429 TOO_MANY_WAITERS means the payment was not sent,
        // so a client may send it again later (answering 429 for a payment already on its way made clients give it up)
        return limits.waiting(ClientLimits.client(http), () -> {
            GatewayApi.Submitted s = submitted(request);
            return api.waitForFinality(s.txid(), waitMillis).thenApply(status -> Response.ok(status).header("Location", "/v1/transactions/" + s.txid()).build());
        });
    }

    private GatewayApi.Submitted submitted(SubmitRequest request) {
        return request != null && request.transaction() != null && request.hex() == null ? api.submit(request.transaction())
                : api.submit(request == null ? null : request.hex());
    }

    @POST
    @Path("/transactions")
    @Consumes(MediaType.TEXT_PLAIN)
    @Blocking
    @Tag(name = "transactions")
    @Operation(summary = "Submit a signed transaction: the body is its hex (waitMillis as for the JSON form)")
    public CompletionStage<Response> submitHex(String hex, @QueryParam("waitMillis") Long waitMillis, @Context HttpServerRequest http) {
        return submit(new SubmitRequest(hex, null), waitMillis, http);
    }

    @GET
    @Path("/transactions/{txid}")
    @Tag(name = "transactions")
    @Operation(summary = "Status: SUBMITTED, PENDING, FINAL (with certificate), CONFIRMED (block height), REJECTED (reason), RELEASED")
    public CompletionStage<JsonNode> transaction(@PathParam("txid") String txid) {
        return api.transaction(txid);
    }

    @GET
    @Path("/transactions/{txid}/finality")
    @Tag(name = "transactions")
    @Operation(summary = "Long-poll: answers once the transaction is final, rejected or released, or after timeoutMillis (max 30 s)")
    public CompletionStage<JsonNode> waitForFinality(@PathParam("txid") String txid, @QueryParam("timeoutMillis") @DefaultValue("10000") long timeoutMillis,
                                                     @Context HttpServerRequest http) {
        return limits.waiting(ClientLimits.client(http), () -> api.waitForFinality(txid, timeoutMillis));
    }

    @GET
    @Path("/addresses/{address}/balance")
    @Tag(name = "addresses")
    @Operation(summary = "Confirmed and pending balance (sat)")
    public CompletionStage<JsonNode> balance(@PathParam("address") String address) {
        return api.balance(address);
    }

    @GET
    @Path("/addresses/{address}/utxos")
    @Tag(name = "addresses")
    @Operation(summary = "Spendable outputs, keyset-paged: pass the returned 'next' as 'after'")
    public CompletionStage<JsonNode> utxos(@PathParam("address") String address, @QueryParam("after") String after,
                                           @QueryParam("limit") @DefaultValue("100") int limit) {
        return api.utxos(address, after, limit);
    }

    @GET
    @Path("/addresses/{address}/transactions")
    @Tag(name = "addresses")
    @Operation(summary = "Final and confirmed transactions that paid the address or spent its outputs, newest first "
            + "(final ones not yet in a block first), with receivedSat and sentSat; pass the returned 'next' as 'after'")
    public CompletionStage<JsonNode> history(@PathParam("address") String address, @QueryParam("after") String after,
                                             @QueryParam("limit") @DefaultValue("50") int limit) {
        return api.history(address, after, limit);
    }

    @GET
    @Path("/addresses/{address}/validation")
    @Tag(name = "addresses")
    public GatewayApi.AddressCheck validate(@PathParam("address") String address) {
        return api.validateAddress(address);
    }

    @GET
    @Path("/blocks")
    @Tag(name = "blocks")
    @Operation(summary = "Recent blocks, newest first; page with before=<height>")
    public CompletionStage<JsonNode> blocks(@QueryParam("before") Long before, @QueryParam("limit") @DefaultValue("20") int limit) {
        return api.recentBlocks(before, limit);
    }

    @GET
    @Path("/blocks/{id}")
    @Tag(name = "blocks")
    @Operation(summary = "A block by height or hash, with its commit certificate's signers (raw=true adds the encodings)")
    public CompletionStage<GatewayApi.BlockView> block(@PathParam("id") String id, @QueryParam("raw") @DefaultValue("false") boolean raw) {
        return api.block(id, raw);
    }

    @GET
    @Path("/chain")
    @Tag(name = "node")
    @Operation(summary = "Height, tip, UTXO commitment, supply, consensus round and finality statistics")
    public CompletionStage<JsonNode> chain() {
        return api.chain();
    }

    @GET
    @Path("/masternodes")
    @Tag(name = "node")
    public CompletionStage<List<ObjectNode>> masternodes() {
        return api.masternodes();
    }

    @GET
    @Path("/node")
    @Tag(name = "node")
    @Operation(summary = "This node: synced, or 'syncing h/H' while peers are ahead")
    public CompletionStage<GatewayApi.NodeStatus> node() {
        return api.nodeStatus();
    }

    @GET
    @Path("/peers")
    @Tag(name = "node")
    public CompletionStage<JsonNode> peers() {
        return api.peers();
    }

    @GET
    @Path("/mempool")
    @Tag(name = "node")
    public CompletionStage<JsonNode> mempool() {
        return api.mempool();
    }

    @GET
    @Path("/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    @Tag(name = "node")
    @Operation(summary = "Server-Sent Events: {type: block} for each applied block, {type: finality} for each final/released/rejected transaction")
    public Multi<Events.Event> events() {
        return events.stream();
    }
}
