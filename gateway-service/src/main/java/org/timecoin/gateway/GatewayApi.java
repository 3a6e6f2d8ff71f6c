package org.timecoin.gateway;

import org.timecoin.service.KeyedRecords;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.timecoin.protocol.codec.Hex;
import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.model.Address;
import org.timecoin.protocol.model.Block;
import org.timecoin.protocol.model.CommitCertificate;
import org.timecoin.protocol.model.Limits;
import org.timecoin.protocol.model.Network;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.crypto.Signature;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.Payload;
import org.timecoin.protocol.model.Witness;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.TxOutput;
import org.timecoin.protocol.model.TxInput;
import org.timecoin.protocol.rules.RejectReason;
import org.timecoin.protocol.rules.TransactionRules;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.micrometer.core.instrument.distribution.ValueAtPercentile;

/**
 * What the gateway can do, shared by the REST resources and the JSON-RPC endpoint (one implementation of each
 * feature). Reads go to the stack's services asynchronously; submissions are checked (every stateless rule and every
 * signature, on the caller's worker thread) and then published to tx.submitted, keyed by txid.
 */
@ApplicationScoped
public class GatewayApi {
    private final Backends backends;
    private final Events events;
    private final Emitter<byte[]> submissions;
    private final GatewaySettings settings;
    private final Network network;
    private final ObjectMapper json;
    private final Instant started = Instant.now();

    public GatewayApi(Backends backends, Events events, @Channel("tx-submitted") @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 10_000) Emitter<byte[]> submissions,
                      GatewaySettings settings, @ConfigProperty(name = "timecoin.network") String network, ObjectMapper json) {
        this.backends = backends;
        this.events = events;
        this.submissions = submissions;
        this.settings = settings;
        this.network = Network.byName(network);
        this.json = json;
        this.mempool = new MempoolAdmission(settings.mempoolRefreshMillis(), settings.mempoolAdmissionShare());
    }

    private final MempoolAdmission mempool;

    public Network network() {
        return network;
    }

    public long uptimeSeconds() {
        return Duration.between(started, Instant.now()).toSeconds();
    }

    // ---- transactions ----

    public record Submitted(String txid, String status) {
    }

    /** Blocking (signature checks): call on a worker thread. The same transaction twice is accepted twice. */
    public Submitted submit(String hex) {
        if (hex == null || hex.isBlank()) throw new ApiException(400, "MISSING_TRANSACTION", "the body must carry the transaction as hex");
        String trimmed = hex.trim();
        if (trimmed.length() > 2 * Limits.MAX_TX_BYTES) {
            throw new ApiException(413, "BODY_TOO_LARGE", "a transaction is at most " + Limits.MAX_TX_BYTES + " bytes");
        }
        return submit(Transaction.decode(Hex.decode(trimmed)));
    }

    /** The JSON form of a signed transfer (what a wallet that does not encode bytes itself sends). */
    public record JsonInput(String txid, Integer index, String publicKey, String signature) {
    }

    public record JsonOutput(String address, Long amountSat) {
    }

    public record JsonTransaction(List<JsonInput> inputs, List<JsonOutput> outputs) {
    }

    /** Blocking (signature checks). Builds the canonical transaction from its JSON form, then as {@link #submit(String)}. */
    public Submitted submit(JsonTransaction t) {
        if (t.inputs() == null || t.outputs() == null) throw new ApiException(400, "MISSING_FIELD", "a transaction has inputs and outputs");
        if (t.inputs().size() > Limits.MAX_INPUTS || t.outputs().size() > Limits.MAX_OUTPUTS) {
            throw new ApiException(400, "TOO_LARGE", "at most " + Limits.MAX_INPUTS + " inputs and " + Limits.MAX_OUTPUTS + " outputs");
        }
        List<TxInput> inputs = new java.util.ArrayList<>();
        for (JsonInput i : t.inputs()) {
            if (i == null || i.txid() == null || i.index() == null || i.publicKey() == null || i.signature() == null) {
                throw new ApiException(400, "MISSING_FIELD", "each input has txid, index, publicKey and signature");
            }
            inputs.add(new TxInput(new OutPoint(Hash.fromHex(i.txid()), i.index()),
                    new Witness(PublicKey.fromHex(i.publicKey()), Signature.fromHex(i.signature()))));
        }
        List<TxOutput> outputs = new java.util.ArrayList<>();
        for (JsonOutput o : t.outputs()) {
            if (o == null || o.address() == null || o.amountSat() == null) throw new ApiException(400, "MISSING_FIELD", "each output has address and amountSat");
            outputs.add(new TxOutput(Amount.sat(o.amountSat()), address(o.address()).keyHash()));
        }
        return submit(new Transaction(inputs, outputs, Payload.Transfer.INSTANCE));
    }

    private Submitted submit(Transaction tx) {
        // a full node sheds the submission before the signature checks: under overload they are the costly part
        long now = System.nanoTime();
        if (mempool.readingDue(now)) {
            backends.ledger("/v1/ledger/mempool").whenComplete((n, x) -> {
                if (x == null && n.has("pending") && n.has("maxPending")) mempool.reading(n.get("pending").asLong(), n.get("maxPending").asLong());
                else mempool.readingFailed();
            });
        }
        if (mempool.full(now)) {
            throw new ApiException(503, RejectReason.MEMPOOL_FULL.name(), "this node holds as many pending transactions as it may; retry in a moment");
        }
        Optional<RejectReason> reject = TransactionRules.checkStateless(tx).or(() -> TransactionRules.checkSignatures(tx, network.chainId()));
        if (reject.isPresent()) throw new ApiException(422, reject.get().name(), "the transaction breaks a protocol rule: " + reject.get());
        Hash txid = tx.txid();
        mempool.submitted();
        events.submitted(txid);
        KeyedRecords.send(submissions, txid.toByteArray(), tx.toBytes());
        return new Submitted(txid.hex(), "SUBMITTED");
    }

    public CompletableFuture<JsonNode> transaction(String txidHex) {
        Hash txid = Hash.fromHex(txidHex);
        return backends.ledger("/v1/ledger/transactions/" + txid.hex()).exceptionally(x -> {
            ApiException a = ProblemMapper.toApi(x);
            if (a.status() == 404 && events.recentlySubmitted(txid)) {
                return json.createObjectNode().put("txid", txid.hex()).put("status", "SUBMITTED");
            }
            if (a.status() == 404) throw new ApiException(404, "UNKNOWN_TRANSACTION", "no transaction " + txid.hex());
            throw a;
        });
    }

    private static boolean settled(JsonNode status) {
        String s = status.path("status").asText();
        return s.equals("FINAL") || s.equals("CONFIRMED") || s.equals("REJECTED") || s.equals("RELEASED");
    }

    /**
     * Waits until the transaction is final, rejected or released, or {@code timeoutMillis} (capped) pass; then answers
     * its status. The waiter is registered before the first read, so an outcome between the two is not missed. A
     * transaction submitted through this instance and not yet settled skips that read: its outcome comes here as an event.
     */
    public CompletableFuture<JsonNode> waitForFinality(String txidHex, long timeoutMillis) {
        Hash txid = Hash.fromHex(txidHex);
        long wait = Math.max(0, Math.min(timeoutMillis, settings.maxWaitMillis()));
        long t0 = System.nanoTime();
        CompletableFuture<Events.Event> outcome = events.await(txid, wait);
        CompletableFuture<JsonNode> now = events.pendingHere(txid) ? CompletableFuture.completedFuture(json.createObjectNode()) : transaction(txidHex);
        return now.thenCompose(status -> {
            if (settled(status)) return CompletableFuture.completedFuture(withWait(status, t0));
            return outcome.thenCompose(e -> {
                if (e == null) return transaction(txidHex).thenApply(s -> withWait(s, t0)); // timed out: the ledger's word
                ObjectNode n = json.createObjectNode().put("txid", e.txid()).put("status", e.status());
                if (e.reason() != null) n.put("reason", e.reason());
                if (e.finalityCertificate() != null) n.put("finalityCertificate", e.finalityCertificate());
                if (!e.status().equals("FINAL")) return CompletableFuture.completedFuture(withWait(n, t0));
                // read-your-writes: answer FINAL once this node's ledger has committed it (its tx.applied announcement),
                // so that a wallet can read and spend the outputs through this gateway at once; the event's word if the
                // ledger has not caught up within LEDGER_CATCH_UP_MILLIS
                long eventAt = System.nanoTime();
                return events.awaitApplied(txid, LEDGER_CATCH_UP_MILLIS).thenApply(applied -> {
                    events.ledgerCatchUpTimer().record(System.nanoTime() - eventAt, TimeUnit.NANOSECONDS);
                    return withWait(n, t0);
                });
            });
        });
    }

    static final long LEDGER_CATCH_UP_MILLIS = 3_000;

    private static JsonNode withWait(JsonNode n, long t0) {
        ObjectNode o = n.deepCopy();
        o.put("waitedMillis", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        return o;
    }

    // ---- addresses ----

    public Address address(String text) {
        Address a = Address.parse(text);
        if (!a.belongsTo(network)) throw new ApiException(400, "WRONG_NETWORK", "address of another network");
        return a;
    }

    public CompletableFuture<JsonNode> balance(String address) {
        address(address);
        return backends.ledger("/v1/ledger/addresses/" + address + "/balance");
    }

    public CompletableFuture<JsonNode> utxos(String address, String after, int limit) {
        address(address);
        if (limit < 1 || limit > 1000) throw new ApiException(400, "INVALID_VALUE", "limit must be 1..1000");
        return backends.ledger("/v1/ledger/addresses/" + address + "/utxos?limit=" + limit + afterParameter(after));
    }

    /** A page's cursor passed on to the ledger as it came (the ledger checks it): none, or {@code &after=} URL-encoded. */
    private static String afterParameter(String after) {
        return after == null || after.isBlank() ? "" : "&after=" + java.net.URLEncoder.encode(after, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Newest first; the ledger checks the cursor ({@code next} of the previous page) and answers its problems. */
    public CompletableFuture<JsonNode> history(String address, String after, int limit) {
        address(address);
        if (limit < 1 || limit > 200) throw new ApiException(400, "INVALID_VALUE", "limit must be 1..200");
        return backends.ledger("/v1/ledger/addresses/" + address + "/transactions?limit=" + limit + afterParameter(after));
    }

    // ---- blocks and chain ----

    /** {@code bytes}: the block's encoded size (as in the block list). */
    public record BlockView(long height, String hash, String previousHash, String merkleRoot, long timestampMillis, int round, String proposer,
                            int transactionCount, int bytes, List<String> transactions, CommitView commitCertificate, String raw) {
    }

    public record CommitView(int round, List<String> signers, String raw) {
    }

    /** A block by height (digits) or hash (64 hex digits). */
    public CompletableFuture<BlockView> block(String id, boolean raw) {
        String path;
        if (id.matches("\\d{1,18}")) path = "/v1/ledger/blocks/" + id;
        else if (id.matches("[0-9a-fA-F]{64}")) path = "/v1/ledger/blocks/hash/" + id.toLowerCase();
        else throw new ApiException(400, "INVALID_BLOCK_ID", "a block is named by its height or its 64-hex-digit hash");
        return backends.ledger(path).thenApply(n -> {
            byte[] encoded = Hex.decode(n.path("block").asText());
            Block b = Block.decode(encoded);
            CommitView cert = null;
            if (!n.path("commitCertificate").isNull() && n.hasNonNull("commitCertificate")) {
                CommitCertificate c = CommitCertificate.decode(Hex.decode(n.path("commitCertificate").asText()));
                cert = new CommitView(c.round(), c.seals().stream().map(s -> s.signer().hex()).toList(), raw ? n.path("commitCertificate").asText() : null);
            }
            var h = b.header();
            return new BlockView(h.height(), b.hash().hex(), h.previousHash().hex(), h.merkleRoot().hex(), h.timestampMillis(), h.round(),
                    h.proposer().hex(), b.transactions().size(), encoded.length, b.transactions().stream().map(t -> t.txid().hex()).toList(), cert,
                    raw ? n.path("block").asText() : null);
        });
    }

    public CompletableFuture<JsonNode> recentBlocks(Long before, int limit) {
        if (limit < 1 || limit > 100) throw new ApiException(400, "INVALID_VALUE", "limit must be 1..100");
        return backends.ledger("/v1/ledger/blocks?limit=" + limit + (before == null ? "" : "&before=" + before));
    }

    public CompletableFuture<JsonNode> chain() {
        CompletableFuture<JsonNode> ledger = backends.ledger("/v1/ledger/chain");
        CompletableFuture<JsonNode> consensus = backends.consensus("/v1/consensus/status").exceptionally(x -> null);
        return ledger.thenCombine(consensus, (l, c) -> {
            ObjectNode o = l.deepCopy();
            o.put("network", network.name().toLowerCase());
            if (c != null) {
                o.put("round", c.path("round").asInt());
                o.put("phase", c.path("phase").asText());
                o.put("totalVotingWeight", c.path("totalVotingWeight").asLong());
                o.set("finality", finalityStats(c.path("votes")));
            }
            return o;
        });
    }

    private ObjectNode finalityStats(JsonNode votes) {
        ObjectNode f = json.createObjectNode();
        f.put("transactionsFinalized", votes.path("transactionsFinalized").asLong());
        f.put("transactionsReleased", votes.path("transactionsReleased").asLong());
        f.put("blocksFinalized", votes.path("blocksFinalized").asLong());
        var snapshot = events.finalityTimer().takeSnapshot();
        f.put("submittedHereAndFinal", snapshot.count());
        for (ValueAtPercentile p : snapshot.percentileValues()) {
            f.put("latencyP" + Math.round(p.percentile() * 100) + "Millis", Math.round(p.value(TimeUnit.MILLISECONDS)));
        }
        return f;
    }

    public CompletableFuture<JsonNode> consensusInfo() {
        return backends.consensus("/v1/consensus/status");
    }

    public CompletableFuture<JsonNode> peers() {
        return backends.p2p("/v1/p2p/peers");
    }

    public CompletableFuture<JsonNode> mempool() {
        return backends.ledger("/v1/ledger/mempool");
    }

    /** Registered masternodes with their voting weight and whether this node's p2p is connected to them now. */
    public CompletableFuture<List<ObjectNode>> masternodes() {
        CompletableFuture<JsonNode> registered = backends.ledger("/v1/ledger/masternodes");
        CompletableFuture<JsonNode> peers = peers().exceptionally(x -> null);
        CompletableFuture<JsonNode> consensus = consensusInfo().exceptionally(x -> null);
        return registered.thenCombine(peers, (r, p) -> new JsonNode[] {r, p}).thenCombine(consensus, (rp, c) -> {
            Map<String, JsonNode> connected = new HashMap<>();
            String self = p2pSelf(rp[1]);
            if (rp[1] != null) for (JsonNode peer : rp[1].path("peers")) if (peer.path("authenticated").asBoolean()) connected.put(peer.path("key").asText(), peer);
            Map<String, Long> weights = new HashMap<>();
            if (c != null) for (JsonNode v : c.path("validators")) weights.put(v.path("key").asText(), v.path("votingWeight").asLong());
            List<ObjectNode> out = new ArrayList<>();
            for (JsonNode m : rp[0]) {
                ObjectNode o = m.deepCopy();
                String key = m.path("nodeKey").asText();
                o.put("votingWeight", weights.getOrDefault(key, 0L));
                JsonNode peer = connected.get(key);
                o.put("status", key.equals(self) ? "this node" : peer != null ? "connected" : "not connected");
                if (peer != null) o.put("rttMillis", peer.path("rttMillis").asLong());
                JsonNode seen = rp[1] == null ? null : rp[1].path("lastSeen").get(key);
                if (seen != null) o.put("lastSeen", Instant.ofEpochMilli(seen.asLong()).toString());
                out.add(o);
            }
            return out;
        });
    }

    private static String p2pSelf(JsonNode peers) {
        return peers == null ? "" : peers.path("nodeKey").asText();
    }

    public record NodeStatus(String network, String state, long height, long highestPeerHeight, int peers, int masternodePeers, long uptimeSeconds) {
    }

    /** Honest about sync: "syncing 812/4000" while peers report heights above ours. */
    public CompletableFuture<NodeStatus> nodeStatus() {
        CompletableFuture<JsonNode> chain = backends.ledger("/v1/ledger/chain");
        CompletableFuture<JsonNode> peers = peers().exceptionally(x -> null);
        return chain.thenCombine(peers, (c, p) -> {
            long height = c.path("height").asLong();
            if (p == null) return new NodeStatus(network.name().toLowerCase(), "p2p unreachable", height, -1, 0, 0, uptimeSeconds());
            long best = height;
            int n = 0;
            int masternodes = 0;
            for (JsonNode peer : p.path("peers")) {
                if (!peer.path("authenticated").asBoolean()) continue;
                n++;
                if (peer.path("masternode").asBoolean()) masternodes++;
                best = Math.max(best, peer.path("bestHeight").asLong());
            }
            // a peer announces a new block a moment before we apply it: one block behind is in sync
            String state = n == 0 ? "no peers" : best > height + 1 ? "syncing " + height + "/" + best : "synced";
            return new NodeStatus(network.name().toLowerCase(), state, height, best, n, masternodes, uptimeSeconds());
        });
    }

    public record AddressCheck(boolean isvalid, String address, String network, String keyHash, String error) {
    }

    public AddressCheck validateAddress(String text) {
        try {
            Address a = Address.parse(text);
            boolean ours = a.belongsTo(network);
            return new AddressCheck(ours, text, ours ? network.name().toLowerCase() : null, a.keyHash().hex(), ours ? null : "WRONG_NETWORK");
        } catch (ProtocolException e) {
            return new AddressCheck(false, text, null, null, e.reason().name());
        }
    }
}
