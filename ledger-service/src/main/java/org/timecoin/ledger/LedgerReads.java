package org.timecoin.ledger;

import static org.timecoin.ledger.LedgerDb.TIP_COLUMNS;
import static org.timecoin.ledger.LedgerDb.tipOf;
import static org.timecoin.ledger.LockStore.MEMPOOL_SQL;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;

import org.timecoin.ledger.ChainStore.Tip;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.KeyHash;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.Block;
import org.timecoin.protocol.model.CommitCertificate;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.Tier;
import org.timecoin.protocol.model.TxOutput;

/**
 * The read models the REST side serves (any replica): outputs, an address's outputs, history and balance, blocks,
 * transactions, masternodes, the mempool's counts, the chain's summary and the supply audit. Each read is one
 * database transaction (one snapshot), keyset-paged where a list can grow without bound; none writes.
 */
@ApplicationScoped
public class LedgerReads {
    private final LedgerDb db;

    public LedgerReads(DataSource dataSource) {
        this.db = new LedgerDb(dataSource);
    }

    public record UtxoView(OutPoint outPoint, TxOutput output, UtxoState state, Long createdHeight) {
    }

    public Optional<UtxoView> utxo(OutPoint p) {
        return db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT amount, key_hash, state, created_height FROM utxo WHERE txid = ? AND idx = ?")) {
                ps.setBytes(1, p.txid().toByteArray());
                ps.setInt(2, p.index());
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) return Optional.empty();
                    long created = rs.getLong(4);
                    Long createdHeight = rs.wasNull() ? null : created; // wasNull speaks of the last column read
                    return Optional.of(new UtxoView(p, new TxOutput(Amount.sat(rs.getLong(1)), new KeyHash(rs.getBytes(2))), UtxoState.of(rs.getInt(3)), createdHeight));
                }
            }
        });
    }

    /** Spendable outputs of a key hash after {@code after} (keyset paging: constant memory, any size). */
    public List<UtxoView> utxosOf(KeyHash key, OutPoint after, int limit) {
        return db.inTransaction(c -> {
            List<UtxoView> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT txid, idx, amount, state, created_height FROM utxo WHERE key_hash = ? AND state IN (" + UtxoState.UNSPENT.code + ", " + UtxoState.LOCKED.code + ") "
                    + "AND (txid, idx) > (?, ?) ORDER BY txid, idx LIMIT ?")) {
                ps.setBytes(1, key.toByteArray());
                ps.setBytes(2, after == null ? new byte[0] : after.txid().toByteArray());
                ps.setInt(3, after == null ? -1 : after.index());
                ps.setInt(4, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        long created = rs.getLong(5);
                        Long createdHeight = rs.wasNull() ? null : created;
                        out.add(new UtxoView(new OutPoint(new Hash(rs.getBytes(1)), rs.getInt(2)), new TxOutput(Amount.sat(rs.getLong(3)), key),
                                UtxoState.of(rs.getInt(4)), createdHeight));
                    }
                }
            }
            return out;
        });
    }

    /**
     * A place in an address's history, newest first: transactions final but not yet in a block come before every
     * height ({@code blockHeight} null), then by height down, then by txid down within one height.
     */
    public record HistoryPosition(Long blockHeight, Hash txid) {
        long sortHeight() {
            return blockHeight == null ? Long.MAX_VALUE : blockHeight;
        }
    }

    /** One transaction of an address's history: what it paid to the address and what it spent of the address's outputs. */
    public record HistoryEntry(HistoryPosition position, long receivedSat, long sentSat) {
    }

    /**
     * The final and confirmed transactions that paid {@code key} or spent its outputs, newest first, after {@code after}
     * (null: from the newest). Read from the UTXO rows alone: a row's creator is final (its {@code created_height} null)
     * or confirmed at that height, and a row spent by a final transaction carries {@code spent_by} and, once that
     * transaction is in a block, {@code spent_height}; block rewards have no {@code tx} row and need none. Locks
     * (pending spends) are not history. Each side is read in its index's order (V5), at most {@code limit}
     * transactions each, and the two merged: a transaction that spent from the address and paid it change is one entry.
     */
    public List<HistoryEntry> historyOf(KeyHash key, HistoryPosition after, int limit) {
        return db.inTransaction(c -> {
            List<HistoryEntry> received = new ArrayList<>();
            List<HistoryEntry> spent = new ArrayList<>();
            // one statement, so one snapshot: a block applied meanwhile cannot show a transaction on one side as final
            // and on the other at its height
            try (PreparedStatement ps = c.prepareStatement("(SELECT true, COALESCE(created_height, 9223372036854775807), txid, SUM(amount) FROM utxo "
                    + "WHERE key_hash = ? AND (COALESCE(created_height, 9223372036854775807), txid) < (?, ?) GROUP BY 2, 3 ORDER BY 2 DESC, 3 DESC LIMIT ?) "
                    + "UNION ALL (SELECT false, COALESCE(spent_height, 9223372036854775807), spent_by, SUM(amount) FROM utxo "
                    + "WHERE key_hash = ? AND spent_by IS NOT NULL AND (COALESCE(spent_height, 9223372036854775807), spent_by) < (?, ?) "
                    + "GROUP BY 2, 3 ORDER BY 2 DESC, 3 DESC LIMIT ?)")) {
                for (int side = 0; side < 2; side++) {
                    ps.setBytes(4 * side + 1, key.toByteArray());
                    ps.setLong(4 * side + 2, after == null ? Long.MAX_VALUE : after.sortHeight());
                    ps.setBytes(4 * side + 3, after == null ? HISTORY_START : after.txid().toByteArray());
                    ps.setInt(4 * side + 4, limit);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        long h = rs.getLong(2);
                        HistoryPosition p = new HistoryPosition(h == Long.MAX_VALUE ? null : h, new Hash(rs.getBytes(3)));
                        if (rs.getBoolean(1)) received.add(new HistoryEntry(p, rs.getLong(4), 0));
                        else spent.add(new HistoryEntry(p, 0, rs.getLong(4)));
                    }
                }
            }
            received.sort(java.util.Comparator.comparing(HistoryEntry::position, NEWEST_FIRST));
            spent.sort(java.util.Comparator.comparing(HistoryEntry::position, NEWEST_FIRST));
            List<HistoryEntry> out = new ArrayList<>();
            int r = 0, s = 0;
            while (out.size() < limit && (r < received.size() || s < spent.size())) {
                int order = r == received.size() ? 1 : s == spent.size() ? -1 : NEWEST_FIRST.compare(received.get(r).position(), spent.get(s).position());
                if (order == 0) {
                    out.add(new HistoryEntry(received.get(r).position(), received.get(r++).receivedSat(), spent.get(s++).sentSat()));
                } else {
                    out.add(order < 0 ? received.get(r++) : spent.get(s++));
                }
            }
            return out;
        });
    }

    /** Sorts above every txid (bytea compares bytewise, then by length): a history's first page starts below it. */
    private static final byte[] HISTORY_START = new byte[Hash.LENGTH + 1];

    static {
        java.util.Arrays.fill(HISTORY_START, (byte) 0xff);
    }

    private static final java.util.Comparator<HistoryPosition> NEWEST_FIRST = java.util.Comparator.comparingLong(HistoryPosition::sortHeight)
            .thenComparing(p -> p.txid().toByteArray(), java.util.Arrays::compareUnsigned).reversed();

    public record Balance(long confirmedSat, long pendingSat, long utxoCount) {
    }

    /** Confirmed = created in a block; pending = created by a final transaction not yet in a block. */
    public Balance balanceOf(KeyHash key) {
        return db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT COALESCE(SUM(amount) FILTER (WHERE created_height IS NOT NULL), 0), "
                    + "COALESCE(SUM(amount) FILTER (WHERE created_height IS NULL), 0), COUNT(*) FROM utxo WHERE key_hash = ? AND state IN (" + UtxoState.UNSPENT.code + ", " + UtxoState.LOCKED.code + ")")) {
                ps.setBytes(1, key.toByteArray());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return new Balance(rs.getLong(1), rs.getLong(2), rs.getLong(3));
                }
            }
        });
    }

    public record StoredBlock(Block block, CommitCertificate certificate) {
    }

    public Optional<StoredBlock> block(long height) {
        return db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT body, certificate FROM block WHERE height = ?")) {
                ps.setLong(1, height);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) return Optional.empty();
                    byte[] cert = rs.getBytes(2);
                    return Optional.of(new StoredBlock(Block.decode(rs.getBytes(1)), cert == null ? null : CommitCertificate.decode(cert)));
                }
            }
        });
    }

    /**
     * Finalized blocks from {@code fromHeight} on, with their commit certificates, as the p2p Blocks body
     * (u32 count ‖ (Block ‖ CommitCertificate)*): at most {@code limit} blocks and about {@code maxBytes}; the
     * stored encodings are copied, not decoded. Genesis (no certificate) is never included.
     */
    public byte[] certifiedBlocks(long fromHeight, int limit, int maxBytes) {
        return db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT body, certificate FROM block WHERE height >= ? AND certificate IS NOT NULL ORDER BY height LIMIT ?")) {
                ps.setLong(1, Math.max(1, fromHeight));
                ps.setInt(2, limit);
                java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
                int count = 0;
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next() && (count == 0 || out.size() < maxBytes)) {
                        out.writeBytes(rs.getBytes(1));
                        out.writeBytes(rs.getBytes(2));
                        count++;
                    }
                }
                byte[] body = out.toByteArray();
                return java.nio.ByteBuffer.allocate(4 + body.length).putInt(count).put(body).array();
            }
        });
    }

    public record TxView(Hash txid, TxState status, String reason, Long fee, Long blockHeight, byte[] certificate, byte[] body) {
    }

    public Optional<TxView> transaction(Hash txid) {
        return db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT status, reason, fee, block_height, certificate, body FROM tx WHERE txid = ?")) {
                ps.setBytes(1, txid.toByteArray());
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) return Optional.empty();
                    long fee = rs.getLong(3);
                    boolean noFee = rs.wasNull();
                    long height = rs.getLong(4);
                    boolean noHeight = rs.wasNull();
                    return Optional.of(new TxView(txid, TxState.of(rs.getInt(1)), rs.getString(2), noFee ? null : fee, noHeight ? null : height, rs.getBytes(5), rs.getBytes(6)));
                }
            }
        });
    }

    public Optional<StoredBlock> blockByHash(Hash hash) {
        return db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT height FROM block WHERE hash = ?")) {
                ps.setBytes(1, hash.toByteArray());
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getLong(1)) : Optional.<Long>empty();
                }
            }
        }).flatMap(this::block);
    }

    public record BlockSummary(long height, Hash hash, int transactions, int bytes) {
    }

    /** Blocks below {@code beforeHeight} (exclusive), newest first: keyset paging over the primary key. */
    public List<BlockSummary> recentBlocks(long beforeHeight, int limit) {
        return db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT height, hash, body FROM block WHERE height < ? ORDER BY height DESC LIMIT ?")) {
                ps.setLong(1, beforeHeight);
                ps.setInt(2, limit);
                List<BlockSummary> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        byte[] body = rs.getBytes(3);
                        out.add(new BlockSummary(rs.getLong(1), new Hash(rs.getBytes(2)), Block.decode(body).transactions().size(), body.length));
                    }
                }
                return out;
            }
        });
    }

    /**
     * {@code activeFromHeight}: the epoch boundary from which it is in the set (null until a block holds its activation);
     * {@code leavesAtHeight}: the one at which it leaves (null if not leaving); {@code provenHeight}: the block its latest
     * proof of service names; {@code expiredFromHeight}: the boundary from which it is out for not proving (null if not).
     */
    public record MasternodeView(PublicKey nodeKey, Tier tier, String host, int port, KeyHash rewardKeyHash, OutPoint collateral, long registeredHeight,
                                 Long activeFromHeight, Long leavesAtHeight, long provenHeight, Long expiredFromHeight) {
    }

    /** The registered masternodes not gone yet, in force or waiting for their boundary (at most a validator set's worth). */
    public List<MasternodeView> masternodes() {
        return db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT node_key, tier, host, port, reward_key_hash, collateral_txid, collateral_idx, registered_height, active_from, removed_from, proven_height, expired_from FROM masternode "
                            + "WHERE removed_from IS NULL OR removed_from > (SELECT applied_height + 1 FROM chain_state) ORDER BY node_key LIMIT "
                            + org.timecoin.protocol.model.Limits.MAX_VALIDATORS);
                 ResultSet rs = ps.executeQuery()) {
                List<MasternodeView> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(new MasternodeView(new PublicKey(rs.getBytes(1)), Tier.byCode(rs.getInt(2)), rs.getString(3), rs.getInt(4),
                            new KeyHash(rs.getBytes(5)), new OutPoint(new Hash(rs.getBytes(6)), rs.getInt(7)), rs.getLong(8), rs.getObject(9) == null ? null : rs.getLong(9),
                            rs.getObject(10) == null ? null : rs.getLong(10), rs.getLong(11), rs.getObject(12) == null ? null : rs.getLong(12)));
                }
                return out;
            }
        });
    }

    public record Mempool(long pending, long finalNotInBlock) {
    }

    public Mempool mempool() {
        return db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement(MEMPOOL_SQL);
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new Mempool(rs.getLong(1), rs.getLong(2));
            }
        });
    }

    /** The tip with the confirmed supply: the sum of the UTXOs created by a block and not spent by one. */
    public record ChainSummary(Tip tip, long confirmedSupplySat) {
    }

    /** The confirmed supply summed from the UTXO table: every row, spent history included. */
    static final String COUNTED_SUPPLY_SQL = "(SELECT COALESCE(SUM(amount), 0) FROM utxo WHERE created_height IS NOT NULL AND state <> " + UtxoState.SPENT_CONFIRMED.code + ")";
    /** The supply kept per block, or null where it was not kept at the tip's height. */
    private static final String TRACKED_SUPPLY_SQL = "CASE WHEN supply_height = applied_height THEN confirmed_supply END";

    /**
     * The tip and the confirmed supply, both from the chain state row (the supply is kept per block, as the commitment
     * is), so from one snapshot and at the cost of one row whatever the chain's length. Right after a rollout from a
     * version that did not keep it, until this version applies a block, the table is summed instead.
     */
    public Optional<ChainSummary> chainSummary() {
        return db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + TIP_COLUMNS + ", COALESCE(" + TRACKED_SUPPLY_SQL + ", " + COUNTED_SUPPLY_SQL
                    + ") FROM chain_state");
                 ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new ChainSummary(tipOf(rs), rs.getLong(6))) : Optional.empty();
            }
        });
    }

    /** The supply as kept per block ({@code null} where it was not kept at this height) next to the sum of the UTXO table. */
    public record SupplyAudit(long height, Long trackedSat, long countedSat) {
        public boolean consistent() {
            return trackedSat != null && trackedSat == countedSat;
        }
    }

    /** An audit for operators and tests: one statement (one snapshot) that reads every UTXO row, spent history included. */
    public Optional<SupplyAudit> supplyAudit() {
        return db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT applied_height, " + TRACKED_SUPPLY_SQL + ", " + COUNTED_SUPPLY_SQL + " FROM chain_state");
                 ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new SupplyAudit(rs.getLong(1), rs.getObject(2, Long.class), rs.getLong(3))) : Optional.empty();
            }
        });
    }
}
