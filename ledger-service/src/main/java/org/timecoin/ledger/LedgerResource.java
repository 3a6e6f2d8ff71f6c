package org.timecoin.ledger;

import java.util.List;
import java.util.Optional;

import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.timecoin.protocol.codec.Hex;
import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.model.Address;
import org.timecoin.protocol.model.OutPoint;

import io.smallrye.common.annotation.Blocking;

/**
 * Reads for the gateway (any replica). JDBC on worker threads ({@link Blocking}), never on the event loop. Paging is
 * keyset-based ({@code after=txid:index}), bounded by {@code limit} ≤ 1000.
 */
@Path("/v1/ledger")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class LedgerResource {
    static final int MAX_PAGE = 1_000;

    private final LedgerReads store;
    private final UtxoCache cache;
    private final char addressDigit;

    public LedgerResource(LedgerReads store, UtxoCache cache, @org.eclipse.microprofile.config.inject.ConfigProperty(name = "timecoin.network") String network) {
        this.store = store;
        this.cache = cache;
        this.addressDigit = org.timecoin.protocol.model.Network.byName(network).addressDigit();
    }

    public record Chain(long height, String tipHash, long tipTimestampMillis, long validatorSetEpoch, String utxoCommitment, long confirmedSupplySat) {
    }

    public record Utxo(String txid, int index, long amountSat, String address, String state, Long confirmedHeight) {
    }

    public record Page(List<Utxo> utxos, String next) {
    }

    public record Balance(String address, long confirmedSat, long pendingSat, long utxoCount) {
    }

    public record TxStatus(String txid, String status, String reason, Long feeSat, Long blockHeight, String finalityCertificate, String transaction) {
    }

    public record BlockView(long height, String hash, String block, String commitCertificate) {
    }

    @GET
    @Path("/chain")
    public Chain chain() {
        LedgerReads.ChainSummary s = store.chainSummary().orElseThrow(() -> new IllegalStateException("no chain yet"));
        ChainStore.Tip t = s.tip();
        return new Chain(t.height(), t.hash().hex(), t.timestampMillis(), t.epoch(), t.utxoCommitment().hex(), s.confirmedSupplySat());
    }

    /** {@code trackedSat} is null from a rollout until this version applies a block (what {@code /chain} then sums). */
    public record SupplyAudit(long height, Long trackedSat, long countedSat, boolean consistent) {
    }

    /**
     * The supply kept per block (what {@code /chain} reports) against the sum of the UTXO table at the same height. It
     * reads every UTXO row, spent history included: an audit to run now and then, not to poll.
     */
    @GET
    @Path("/supply-audit")
    public SupplyAudit supplyAudit() {
        LedgerReads.SupplyAudit a = store.supplyAudit().orElseThrow(() -> new IllegalStateException("no chain yet"));
        return new SupplyAudit(a.height(), a.trackedSat(), a.countedSat(), a.consistent());
    }

    private Utxo view(LedgerReads.UtxoView u, char digit) {
        return new Utxo(u.outPoint().txid().hex(), u.outPoint().index(), u.output().amount().sat(), new Address(digit, u.output().keyHash()).toString(),
                u.state().name(), u.createdHeight());
    }

    @GET
    @Path("/utxos/{txid}/{index}")
    public Response utxo(@PathParam("txid") String txid, @PathParam("index") int index) {
        if (index < 0 || index >= org.timecoin.protocol.model.Limits.MAX_OUTPUTS) return ProblemMapper.problem(400, "INVALID_VALUE", "output index out of range");
        return cache.get(new OutPoint(Hash.fromHex(txid), index)).map(u -> Response.ok(view(u, addressDigit)).build())
                .orElseGet(() -> ProblemMapper.problem(404, "UNKNOWN_OUTPUT", "no output " + txid + ":" + index));
    }

    @GET
    @Path("/addresses/{address}/utxos")
    public Page utxos(@PathParam("address") String address, @QueryParam("after") String after, @QueryParam("limit") @DefaultValue("100") int limit) {
        Address a = Address.parse(address);
        if (limit < 1 || limit > MAX_PAGE) throw new ProtocolException(ProtocolException.Reason.INVALID_VALUE, "limit must be 1.." + MAX_PAGE);
        OutPoint cursor = null;
        if (after != null && !after.isBlank()) {
            String[] parts = after.split(":");
            if (parts.length != 2 || !parts[1].matches("\\d{1,5}")) throw new ProtocolException(ProtocolException.Reason.INVALID_VALUE, "after must be txid:index");
            cursor = new OutPoint(Hash.fromHex(parts[0]), Integer.parseInt(parts[1]));
        }
        List<Utxo> page = store.utxosOf(a.keyHash(), cursor, limit).stream().map(u -> view(u, a.networkDigit())).toList();
        String next = page.size() == limit ? page.get(page.size() - 1).txid() + ":" + page.get(page.size() - 1).index() : null;
        return new Page(page, next);
    }

    public record HistoryItem(String txid, String status, Long blockHeight, long receivedSat, long sentSat) {
    }

    public record History(List<HistoryItem> transactions, String next) {
    }

    /**
     * Final and confirmed transactions that paid the address or spent its outputs, newest first (final ones not yet
     * in a block first). Paged by {@code after}: the {@code next} of the previous page, {@code <height>:<txid>} or
     * {@code final:<txid>}.
     */
    @GET
    @Path("/addresses/{address}/transactions")
    public History history(@PathParam("address") String address, @QueryParam("after") String after, @QueryParam("limit") @DefaultValue("50") int limit) {
        Address a = Address.parse(address);
        if (limit < 1 || limit > MAX_HISTORY_PAGE) throw new ProtocolException(ProtocolException.Reason.INVALID_VALUE, "limit must be 1.." + MAX_HISTORY_PAGE);
        List<HistoryItem> page = store.historyOf(a.keyHash(), historyCursor(after), limit).stream()
                .map(e -> new HistoryItem(e.position().txid().hex(), e.position().blockHeight() == null ? "FINAL" : "CONFIRMED",
                        e.position().blockHeight(), e.receivedSat(), e.sentSat())).toList();
        String next = null;
        if (page.size() == limit) {
            HistoryItem last = page.get(page.size() - 1);
            next = (last.blockHeight() == null ? "final" : last.blockHeight().toString()) + ":" + last.txid();
        }
        return new History(page, next);
    }

    static final int MAX_HISTORY_PAGE = 200;

    private static LedgerReads.HistoryPosition historyCursor(String after) {
        if (after == null || after.isBlank()) return null;
        String[] parts = after.split(":");
        if (parts.length != 2 || !(parts[0].equals("final") || parts[0].matches("\\d{1,18}")) || !parts[1].matches("[0-9a-f]{64}")) {
            throw new ProtocolException(ProtocolException.Reason.INVALID_VALUE, "after must be <height>:<txid> or final:<txid>, as a page's next gave it");
        }
        return new LedgerReads.HistoryPosition(parts[0].equals("final") ? null : Long.valueOf(parts[0]), Hash.fromHex(parts[1]));
    }

    @GET
    @Path("/addresses/{address}/balance")
    public Balance balance(@PathParam("address") String address) {
        Address a = Address.parse(address);
        LedgerReads.Balance b = store.balanceOf(a.keyHash());
        return new Balance(address, b.confirmedSat(), b.pendingSat(), b.utxoCount());
    }

    @GET
    @Path("/blocks/{height}")
    public Response block(@PathParam("height") long height) {
        return store.block(height).map(b -> Response.ok(new BlockView(b.block().height(), b.block().hash().hex(), Hex.encode(b.block().toBytes()),
                        b.certificate() == null ? null : Hex.encode(b.certificate().toBytes()))).build())
                .orElseGet(() -> ProblemMapper.problem(404, "UNKNOWN_BLOCK", "no block at height " + height));
    }

    @GET
    @Path("/blocks/hash/{hash}")
    public Response blockByHash(@PathParam("hash") String hash) {
        return store.blockByHash(Hash.fromHex(hash)).map(b -> Response.ok(new BlockView(b.block().height(), b.block().hash().hex(), Hex.encode(b.block().toBytes()),
                        b.certificate() == null ? null : Hex.encode(b.certificate().toBytes()))).build())
                .orElseGet(() -> ProblemMapper.problem(404, "UNKNOWN_BLOCK", "no block with hash " + hash));
    }

    public record BlockSummary(long height, String hash, int transactions, int bytes) {
    }

    /** Newest first, below {@code before} (exclusive; default: everything), at most {@code limit} (≤ 100). */
    @GET
    @Path("/blocks")
    public List<BlockSummary> recentBlocks(@QueryParam("before") Long before, @QueryParam("limit") @DefaultValue("20") int limit) {
        if (limit < 1 || limit > 100) throw new ProtocolException(ProtocolException.Reason.INVALID_VALUE, "limit must be 1..100");
        return store.recentBlocks(before == null ? Long.MAX_VALUE : before, limit).stream()
                .map(b -> new BlockSummary(b.height(), b.hash().hex(), b.transactions(), b.bytes())).toList();
    }

    public record Masternode(String nodeKey, String tier, String host, int port, String rewardAddress, String collateral, long registeredHeight,
                             Long activeFromHeight, Long leavesAtHeight, long provenHeight, Long expiredFromHeight) {
    }

    @GET
    @Path("/masternodes")
    public List<Masternode> masternodes() {
        return store.masternodes().stream().map(m -> new Masternode(m.nodeKey().hex(), m.tier().name(), m.host(), m.port(),
                new Address(addressDigit, m.rewardKeyHash()).toString(), m.collateral().txid().hex() + ":" + m.collateral().index(), m.registeredHeight(),
                m.activeFromHeight(), m.leavesAtHeight(), m.provenHeight(), m.expiredFromHeight())).toList();
    }

    /** {@code maxPending}: beyond it new transactions are refused with MEMPOOL_FULL (the gateway refuses them first). */
    public record Mempool(long pending, long finalNotInBlock, long maxPending) {
    }

    @jakarta.inject.Inject
    ValidationService validation;

    @GET
    @Path("/mempool")
    public Mempool mempool() {
        LedgerReads.Mempool m = store.mempool();
        return new Mempool(m.pending(), m.finalNotInBlock(), validation.maxPending());
    }

    /**
     * Finalized blocks with their commit certificates in the canonical binary encoding (u32 count ‖ (Block ‖
     * CommitCertificate)*): what the p2p service serves to peers that sync. At most {@code limit} (≤ 1,000) blocks
     * and about 8 MB per response; a height past the tip gives an empty list.
     */
    @GET
    @Path("/blocks/certified")
    @Produces(MediaType.APPLICATION_OCTET_STREAM)
    public Response certifiedBlocks(@QueryParam("from") @DefaultValue("1") long from, @QueryParam("limit") @DefaultValue("100") int limit) {
        if (from < 1 || limit < 1 || limit > 1000) {
            return ProblemMapper.problem(400, "INVALID_RANGE", "from must be ≥ 1 and limit within 1..1000");
        }
        return Response.ok(store.certifiedBlocks(from, limit, 8 * 1024 * 1024)).build();
    }

    /** A transaction's status here. */
    @GET
    @Path("/transactions/{txid}")
    public Response transaction(@PathParam("txid") String txid) {
        return txStatus(txid, store.transaction(Hash.fromHex(txid)));
    }

    private static Response txStatus(String txid, Optional<LedgerReads.TxView> t) {
        return t.map(r -> Response.ok(new TxStatus(r.txid().hex(), r.status().name(), r.reason(), r.fee(),
                        r.blockHeight(), r.certificate() == null ? null : Hex.encode(r.certificate()), r.body() == null ? null : Hex.encode(r.body()))).build())
                .orElseGet(() -> ProblemMapper.problem(404, "UNKNOWN_TRANSACTION", "no transaction " + txid));
    }
}
