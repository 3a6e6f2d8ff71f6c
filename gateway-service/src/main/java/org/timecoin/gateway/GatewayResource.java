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
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
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
    @Operation(operationId = "submitTransaction", summary = "Submit a signed transaction (canonical encoding as hex)",
            description = "Body: {\"hex\": canonical encoding} or {\"transaction\": {inputs: [{txid, index, publicKey, signature}], outputs: [{address, amountSat}]}}. "
                    + "202 with the txid once every stateless rule and signature passed; the same transaction twice is accepted twice. "
                    + "With waitMillis (max 30 s), the answer waits for the outcome as GET /v1/transactions/{txid}/finality does, and is 200 with that status: "
                    + "submission and finality in one request; 429 TOO_MANY_WAITERS (this client holds its share of waits) means nothing was published.")
    @APIResponse(responseCode = "202", description = "Accepted and published (without waitMillis): the txid, status SUBMITTED",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = GatewayApi.Submitted.class)))
    @APIResponse(responseCode = "200", description = "With waitMillis: the transaction's status when it was settled or the wait ended, as getTransaction gives it",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = JsonNode.class)))
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
    @Operation(operationId = "submitTransactionHex", summary = "Submit a signed transaction: the body is its hex (waitMillis as for the JSON form)",
            description = "The same submission as the JSON form, for clients that hold the canonical encoding as text: 202 with the txid once every "
                    + "stateless rule and signature passed, or with waitMillis the outcome as GET /v1/transactions/{txid}/finality gives it.")
    public CompletionStage<Response> submitHex(String hex, @QueryParam("waitMillis") Long waitMillis, @Context HttpServerRequest http) {
        return submit(new SubmitRequest(hex, null), waitMillis, http);
    }

    @GET
    @Path("/transactions/{txid}")
    @Tag(name = "transactions")
    @Operation(operationId = "getTransaction", summary = "Status: SUBMITTED, PENDING, FINAL (with certificate), CONFIRMED (block height), REJECTED (reason), RELEASED",
            description = "The transaction as this node's ledger knows it: its status, its finality certificate (hex) once final, the block "
                    + "height once confirmed, the reason once rejected or released. 404 UNKNOWN_TRANSACTION when this node never saw it.")
    public CompletionStage<JsonNode> transaction(@PathParam("txid") String txid) {
        return api.transaction(txid);
    }

    @GET
    @Path("/transactions/{txid}/finality")
    @Tag(name = "transactions")
    @Operation(operationId = "waitForFinality", summary = "Long-poll: answers once the transaction is final, rejected or released, or after timeoutMillis (max 30 s)",
            description = "Answers as soon as the outcome is known here (an outcome that came before the request counts); after timeoutMillis "
                    + "it answers the current status. FINAL is answered once this node's ledger has committed it. Each client holds a "
                    + "bounded share of waits: 429 TOO_MANY_WAITERS past it.")
    public CompletionStage<JsonNode> waitForFinality(@PathParam("txid") String txid, @QueryParam("timeoutMillis") @DefaultValue("10000") long timeoutMillis,
                                                     @Context HttpServerRequest http) {
        return limits.waiting(ClientLimits.client(http), () -> api.waitForFinality(txid, timeoutMillis));
    }

    @GET
    @Path("/addresses/{address}/balance")
    @Tag(name = "addresses")
    @Operation(operationId = "getBalance", summary = "Confirmed and pending balance (sat)",
            description = "confirmedSat: outputs in blocks; pendingSat: outputs of final transactions not yet in a block, less what final "
                    + "transactions spent. 400 INVALID_VALUE for an address of another network or a bad checksum.")
    public CompletionStage<JsonNode> balance(@PathParam("address") String address) {
        return api.balance(address);
    }

    @GET
    @Path("/addresses/{address}/utxos")
    @Tag(name = "addresses")
    @Operation(operationId = "listUtxos", summary = "Spendable outputs, keyset-paged: pass the returned 'next' as 'after'",
            description = "Unspent outputs of the address (confirmed or made by final transactions), in outpoint order, at most limit "
                    + "(1 to 1000) per page; 'next' is absent on the last page.")
    public CompletionStage<JsonNode> utxos(@PathParam("address") String address, @QueryParam("after") String after,
                                           @QueryParam("limit") @DefaultValue("100") int limit) {
        return api.utxos(address, after, limit);
    }

    @GET
    @Path("/addresses/{address}/transactions")
    @Tag(name = "addresses")
    @Operation(operationId = "listAddressTransactions", summary = "Final and confirmed transactions that paid the address or spent its outputs, newest first "
            + "(final ones not yet in a block first), with receivedSat and sentSat; pass the returned 'next' as 'after'",
            description = "The address's history from this node's UTXO set: what each transaction paid it and spent of it. Pending spends "
                    + "(locks) are not history; block rewards are. Keyset-paged like listUtxos.")
    public CompletionStage<JsonNode> history(@PathParam("address") String address, @QueryParam("after") String after,
                                             @QueryParam("limit") @DefaultValue("50") int limit) {
        return api.history(address, after, limit);
    }

    @GET
    @Path("/addresses/{address}/validation")
    @Tag(name = "addresses")
    @Operation(operationId = "validateAddress", summary = "Whether a string is an address of this network",
            description = "Always 200: valid, the network it names and its key hash, or why it is not an address (checksum, prefix, length).")
    public GatewayApi.AddressCheck validate(@PathParam("address") String address) {
        return api.validateAddress(address);
    }

    @GET
    @Path("/blocks")
    @Tag(name = "blocks")
    @Operation(operationId = "listBlocks", summary = "Recent blocks, newest first; page with before=<height>",
            description = "Headers and sizes of at most limit (1 to 100) blocks below 'before' (default: from the tip).")
    public CompletionStage<JsonNode> blocks(@QueryParam("before") Long before, @QueryParam("limit") @DefaultValue("20") int limit) {
        return api.recentBlocks(before, limit);
    }

    @GET
    @Path("/blocks/{id}")
    @Tag(name = "blocks")
    @Operation(operationId = "getBlock", summary = "A block by height or hash, with its commit certificate's signers (raw=true adds the encodings)",
            description = "id is a height (decimal) or a block hash (64 hex digits): 400 INVALID_BLOCK_ID otherwise, 404 when this node has no such block.")
    public CompletionStage<GatewayApi.BlockView> block(@PathParam("id") String id, @QueryParam("raw") @DefaultValue("false") boolean raw) {
        return api.block(id, raw);
    }

    @GET
    @Path("/chain")
    @Tag(name = "node")
    @Operation(operationId = "getChain", summary = "Height, tip, UTXO commitment, supply, consensus round and finality statistics",
            description = "What an explorer's header shows: this node's tip and commitment (compare them across nodes), the confirmed "
                    + "supply, the consensus height and round, and finality latency measured here.")
    public CompletionStage<JsonNode> chain() {
        return api.chain();
    }

    @GET
    @Path("/masternodes")
    @Tag(name = "node")
    @Operation(operationId = "listMasternodes", summary = "Registered masternodes: tier, voting weight, collateral, whether in the set",
            description = "Every registration this node's ledger knows, with the epoch it joins and, once it leaves, the one it left at.")
    public CompletionStage<List<ObjectNode>> masternodes() {
        return api.masternodes();
    }

    @GET
    @Path("/node")
    @Tag(name = "node")
    @Operation(operationId = "getNode", summary = "This node: synced, or 'syncing h/H' while peers are ahead",
            description = "Network, this masternode's key, its ledger's height and the best height its peers announce.")
    public CompletionStage<GatewayApi.NodeStatus> node() {
        return api.nodeStatus();
    }

    @GET
    @Path("/peers")
    @Tag(name = "node")
    @Operation(operationId = "listPeers", summary = "This node's p2p connections",
            description = "Each peer's key, address, direction, whether it is a masternode, its round trip and the height it announced.")
    public CompletionStage<JsonNode> peers() {
        return api.peers();
    }

    @GET
    @Path("/mempool")
    @Tag(name = "node")
    @Operation(operationId = "getMempool", summary = "Pending and final-not-in-a-block counts, and the mempool bound",
            description = "pending: validated and locked here, not final yet; past maxPending a submission answers 503 MEMPOOL_FULL.")
    public CompletionStage<JsonNode> mempool() {
        return api.mempool();
    }

    @GET
    @Path("/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    @Tag(name = "node")
    @Operation(operationId = "streamEvents", summary = "Server-Sent Events: {type: block} for each applied block, {type: finality} for each final/released/rejected transaction",
            description = "Live notifications of this node (not a history: a client that reconnects reads the status of what it missed).")
    public Multi<Events.Event> events() {
        return events.stream();
    }
}
