package org.timecoin.ledger;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import javax.sql.DataSource;

import org.timecoin.ledger.ChainStore.Tip;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.KeyHash;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.MasternodeRegistration;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxInput;
import org.timecoin.protocol.model.TxOutput;

/**
 * The ledger's database machinery, one copy that every store uses: each unit of work is one database transaction
 * (and a failure worth retrying says so), a block's or a poll's writes are batched over arrays (one statement per kind
 * of change, never one per UTXO), and the rows several roles read — the tip, the outputs transactions spend, the
 * per-transaction advisory locks — are read one way.
 */
public final class LedgerDb {
    private final DataSource dataSource;

    LedgerDb(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    <T> T inTransaction(Work<T> work) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            String state = e.getSQLState() == null ? "" : e.getSQLState();
            // connection lost or refused, server shutting down, serialization failure, deadlock: worth retrying
            if (state.startsWith("08") || state.startsWith("57P") || state.equals("40001") || state.equals("40P01") || state.isEmpty()) {
                throw new DatabaseUnavailableException(e);
            }
            throw new IllegalStateException("ledger database: " + e.getMessage(), e);
        }
    }

    /** The database could not do the work now; the same work may succeed later. */
    public static final class DatabaseUnavailableException extends RuntimeException {
        DatabaseUnavailableException(SQLException cause) {
            super(cause.getMessage(), cause);
        }
    }

    /** One statement over parallel arrays (one element per row: the {@code unnest} idiom); the rows it changed. */
    static int updateEach(Connection c, String sql, Array... columns) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < columns.length; i++) ps.setArray(i + 1, columns[i]);
            return ps.executeUpdate();
        }
    }

    static Array bytea(Connection c, List<byte[]> values) throws SQLException {
        return c.createArrayOf("bytea", values.toArray(new byte[0][]));
    }

    static Array ints(Connection c, List<Integer> values) throws SQLException {
        return c.createArrayOf("int4", values.toArray(new Integer[0]));
    }

    static Array longs(Connection c, List<Long> values) throws SQLException {
        return c.createArrayOf("int8", values.toArray(new Long[0]));
    }

    static Hash hashOrNull(byte[] b) {
        return b == null ? null : new Hash(b);
    }

    /** The tip as stored, if there is a chain yet; {@code forUpdate}: its row locked until this transaction ends. */
    static Optional<Tip> tip(Connection c, boolean forUpdate) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + TIP_COLUMNS + " FROM chain_state" + (forUpdate ? " FOR UPDATE" : ""))) {
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(tipOf(rs)) : Optional.empty();
            }
        }
    }

    static final String TIP_COLUMNS = "applied_height, tip_hash, tip_timestamp, set_epoch, utxo_commitment";

    /** The tip from a row whose first columns are {@link #TIP_COLUMNS}. */
    static Tip tipOf(ResultSet rs) throws SQLException {
        return new Tip(rs.getLong(1), new Hash(rs.getBytes(2)), rs.getLong(3), rs.getLong(4), new Hash(rs.getBytes(5)));
    }

    /** An output as stored; {@code confirmed}: created by a block (an output made by finality alone is not, yet). */
    record Stored(OutPoint outPoint, TxOutput output, UtxoState state, Hash lockTxid, Hash spentBy, boolean confirmed) {
    }

    /** Loads the outputs at these outpoints (missing ones are absent from the map). */
    static Map<OutPoint, Stored> resolve(Connection c, Set<OutPoint> points, boolean forUpdate) throws SQLException {
        Map<OutPoint, Stored> out = new HashMap<>();
        if (points.isEmpty()) return out;
        List<byte[]> txids = new ArrayList<>();
        List<Integer> idxs = new ArrayList<>();
        for (OutPoint p : points) {
            txids.add(p.txid().toByteArray());
            idxs.add(p.index());
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT u.txid, u.idx, u.amount, u.key_hash, u.state, u.lock_txid, u.spent_by, u.created_height IS NOT NULL FROM utxo u "
                + "JOIN unnest(?::bytea[], ?::int4[]) AS p(txid, idx) ON u.txid = p.txid AND u.idx = p.idx ORDER BY u.txid, u.idx"
                + (forUpdate ? " FOR UPDATE OF u" : ""))) {
            ps.setArray(1, bytea(c, txids));
            ps.setArray(2, ints(c, idxs));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    OutPoint op = new OutPoint(new Hash(rs.getBytes(1)), rs.getInt(2));
                    out.put(op, new Stored(op, new TxOutput(Amount.sat(rs.getLong(3)), new KeyHash(rs.getBytes(4))), UtxoState.of(rs.getInt(5)),
                            hashOrNull(rs.getBytes(6)), hashOrNull(rs.getBytes(7)), rs.getBoolean(8)));
                }
            }
        }
        return out;
    }

    /** What transactions spend: their inputs, and the collaterals their registrations name. */
    static Set<OutPoint> spentBy(List<Transaction> txs) {
        Set<OutPoint> points = new HashSet<>();
        for (Transaction tx : txs) {
            for (TxInput in : tx.inputs()) points.add(in.previous());
            if (tx.payload() instanceof MasternodeRegistration r && !r.collateral().equals(OutPoint.NULL)) points.add(r.collateral());
        }
        return points;
    }

    /** Advisory-lock class of {@link #lockTransactions} (the block apply's single lock is a one-key lock: another space). */
    static final int TX_LOCK_CLASS = 1;

    /**
     * Serializes, per transaction, the validation of its body and the application of its certificate, across
     * connections and replicas, until this database transaction ends. Without it a certificate applied while the body
     * was being validated in another transaction (neither saw the other's uncommitted row) left the transaction final
     * without outputs until its block, and its children were rejected UNKNOWN_INPUT after their orphan wait. Keys are the
     * txids' first four bytes, taken in ascending order (two transactions sharing a key only wait for each other).
     */
    static void lockTransactions(Connection c, Collection<Hash> txids) throws SQLException {
        int[] keys = txids.stream().mapToInt(LedgerDb::txLockKey).distinct().sorted().toArray();
        if (keys.length == 0) return;
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(" + TX_LOCK_CLASS + ", k) FROM (SELECT k FROM unnest(?::int4[]) AS k ORDER BY k) AS s")) {
            ps.setArray(1, c.createArrayOf("int4", java.util.Arrays.stream(keys).boxed().toArray()));
            ps.execute();
        }
    }

    static int txLockKey(Hash txid) {
        byte[] b = txid.toByteArray();
        return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
    }
}
