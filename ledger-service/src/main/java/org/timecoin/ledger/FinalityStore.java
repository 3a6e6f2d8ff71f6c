package org.timecoin.ledger;

import static org.timecoin.ledger.LedgerDb.bytea;
import static org.timecoin.ledger.LedgerDb.ints;
import static org.timecoin.ledger.LedgerDb.lockTransactions;
import static org.timecoin.ledger.LedgerDb.longs;
import static org.timecoin.ledger.LedgerDb.resolve;
import static org.timecoin.ledger.LedgerDb.spentBy;
import static org.timecoin.ledger.LedgerDb.updateEach;
import static org.timecoin.ledger.LockStore.releaseConflicting;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;

import org.timecoin.ledger.LedgerDb.Stored;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.model.FinalityCertificate;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxInput;

/**
 * Finality: a certificate makes its transaction final here before any block holds it — its inputs spent by it
 * whatever locks they had, its outputs spendable at once — so that a payment is settled in seconds, not at its block.
 */
@ApplicationScoped
public class FinalityStore {
    private final LedgerDb db;

    public FinalityStore(DataSource dataSource) {
        this.db = new LedgerDb(dataSource);
    }

    /** What a poll of certificates did: the transactions whose outputs it made (their inputs now spent). */
    public record Finalities(List<Transaction> withOutputs) {
        /** The outpoints these finalities changed: inputs spent, outputs made (for the cache). */
        public List<OutPoint> changed() {
            List<OutPoint> changed = new ArrayList<>();
            for (Transaction tx : withOutputs) changed.addAll(UtxoCache.touched(tx));
            return changed;
        }
    }

    /**
     * A transaction is final: its inputs are spent by it whatever locks they had (a valid certificate is authoritative;
     * the conflicting transactions holding those locks are rejected and their other locks freed), its outputs exist and
     * can be spent at once. A transaction this ledger never saw is recorded with its certificate; its block brings the
     * body. Idempotent. Several certificates are applied in one database transaction (one commit, one fsync, for a
     * whole poll of tx.finalized). Returns the transactions whose outputs it made (none when there was nothing to do or
     * the body is unknown).
     */
    public Finalities applyFinalities(List<FinalityCertificate> certificates) {
        return db.inTransaction(c -> {
            Map<Hash, FinalityCertificate> byTxid = new java.util.LinkedHashMap<>();
            for (FinalityCertificate f : certificates) byTxid.putIfAbsent(f.txid(), f);
            lockTransactions(c, byTxid.keySet());
            List<byte[]> ids = byTxid.keySet().stream().map(Hash::toByteArray).toList();
            Map<Hash, byte[]> bodies = new HashMap<>();
            Set<Hash> alreadyFinal = new HashSet<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT txid, body, status FROM tx WHERE txid = ANY(?::bytea[]) FOR UPDATE")) {
                ps.setArray(1, bytea(c, ids));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        Hash txid = new Hash(rs.getBytes(1));
                        TxState status = TxState.of(rs.getInt(3));
                        if (status == TxState.FINAL || status == TxState.CONFIRMED) alreadyFinal.add(txid);
                        else if (rs.getBytes(2) != null) bodies.put(txid, rs.getBytes(2));
                    }
                }
            }
            List<Transaction> known = new ArrayList<>();
            List<byte[]> certified = new ArrayList<>();
            List<byte[]> certifiedIds = new ArrayList<>();
            for (FinalityCertificate f : byTxid.values()) {
                if (alreadyFinal.contains(f.txid())) continue;
                byte[] body = bodies.get(f.txid());
                if (body != null) known.add(Transaction.decode(body));
                certifiedIds.add(f.txid().toByteArray());
                certified.add(f.toBytes());
            }
            if (certified.isEmpty()) return new Finalities(List.of());
            if (!known.isEmpty()) spendAndCreate(c, known, resolve(c, spentBy(known), true));
            // a body not seen here yet is recorded by its certificate; the body (tx.submitted) or the block brings it.
            // Never over a final or confirmed row: a block applied since the read above (it takes no txid lock: a block
            // may hold 100,000) may have confirmed it, and "final" would undo that (FaultIT saw it after a ledger restart)
            updateEach(c, "INSERT INTO tx (txid, status, certificate) SELECT t, 2, f FROM unnest(?::bytea[], ?::bytea[]) AS x(t, f) "
                    + "ON CONFLICT (txid) DO UPDATE SET status = " + TxState.FINAL.code + ", certificate = EXCLUDED.certificate, reason = NULL, updated_at = now() "
                    + "WHERE tx.status NOT IN (2, 3)", bytea(c, certifiedIds), bytea(c, certified));
            return new Finalities(known);
        });
    }

    /**
     * Final transactions' effects: their inputs spent by them (conflicting locks released), their outputs made. The
     * outputs first, so a transaction spending another's output in the same call finds it, whatever their order.
     */
    static void spendAndCreate(Connection c, List<Transaction> txs, Map<OutPoint, Stored> resolved) throws SQLException {
        Set<Hash> finalHere = new HashSet<>();
        for (Transaction tx : txs) finalHere.add(tx.txid());
        Set<Hash> conflicting = new HashSet<>();
        List<byte[]> sTxid = new ArrayList<>();
        List<Integer> sIdx = new ArrayList<>();
        List<byte[]> sBy = new ArrayList<>();
        List<byte[]> oTxid = new ArrayList<>();
        List<Integer> oIdx = new ArrayList<>();
        List<Long> oAmount = new ArrayList<>();
        List<byte[]> oKey = new ArrayList<>();
        for (Transaction tx : txs) {
            for (TxInput in : tx.inputs()) {
                Stored s = resolved.get(in.previous());
                if (s != null && s.state() == UtxoState.LOCKED && !finalHere.contains(s.lockTxid())) conflicting.add(s.lockTxid());
                sTxid.add(in.previous().txid().toByteArray());
                sIdx.add(in.previous().index());
                sBy.add(tx.txid().toByteArray());
            }
            for (int i = 0; i < tx.outputs().size(); i++) {
                oTxid.add(tx.txid().toByteArray());
                oIdx.add(i);
                oAmount.add(tx.outputs().get(i).amount().sat());
                oKey.add(tx.outputs().get(i).keyHash().toByteArray());
            }
        }
        updateEach(c, "INSERT INTO utxo (txid, idx, amount, key_hash, state) SELECT t, i, a, k, 0 FROM unnest(?::bytea[], ?::int4[], ?::int8[], ?::bytea[]) "
                + "AS x(t, i, a, k) ON CONFLICT DO NOTHING", bytea(c, oTxid), ints(c, oIdx), longs(c, oAmount), bytea(c, oKey));
        updateEach(c, "UPDATE utxo u SET state = " + UtxoState.SPENT_FINAL.code + ", spent_by = x.b, lock_txid = NULL, locked_at = NULL FROM unnest(?::bytea[], ?::int4[], ?::bytea[]) "
                + "AS x(t, i, b) WHERE u.txid = x.t AND u.idx = x.i AND u.state IN (" + UtxoState.UNSPENT.code + ", " + UtxoState.LOCKED.code + ")", bytea(c, sTxid), ints(c, sIdx), bytea(c, sBy));
        releaseConflicting(c, conflicting);
    }
}
