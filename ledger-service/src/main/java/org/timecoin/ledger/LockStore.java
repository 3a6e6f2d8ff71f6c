package org.timecoin.ledger;

import static org.timecoin.ledger.Claims.ACTIVE;
import static org.timecoin.ledger.Claims.LEFT;
import static org.timecoin.ledger.Claims.collateralKey;
import static org.timecoin.ledger.FinalityStore.spendAndCreate;
import static org.timecoin.ledger.LedgerDb.bytea;
import static org.timecoin.ledger.LedgerDb.ints;
import static org.timecoin.ledger.LedgerDb.lockTransactions;
import static org.timecoin.ledger.LedgerDb.longs;
import static org.timecoin.ledger.LedgerDb.resolve;
import static org.timecoin.ledger.LedgerDb.spentBy;
import static org.timecoin.ledger.LedgerDb.updateEach;

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
import org.timecoin.ledger.core.SpendCheck;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.MasternodeActivation;
import org.timecoin.protocol.model.MasternodeRegistration;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxInput;
import org.timecoin.protocol.model.TxOutput;
import org.timecoin.protocol.rules.RejectReason;
import org.timecoin.protocol.rules.ServiceProof;

/**
 * Validation and locks: the stateful half of validating a submitted transaction (its inputs as stored, the masternode
 * claims, the mempool bound), the locks that approval takes on its inputs, and their release — by consensus, by
 * timeout, or because a conflicting transaction became final.
 */
@ApplicationScoped
public class LockStore {
    /**
     * A validation's outcome. {@code completedFinality}: the transaction was already final here by its certificate alone
     * (the certificate came before the body) and its body, now known, has just spent its inputs and made its outputs.
     */
    public record Verdict(boolean approved, RejectReason reason, Amount fee, boolean completedFinality) {
        public Verdict(boolean approved, RejectReason reason, Amount fee) {
            this(approved, reason, fee, false);
        }
    }

    private final LedgerDb db;

    public LockStore(DataSource dataSource) {
        this.db = new LedgerDb(dataSource);
    }

    /**
     * The stateful half of validation for a transaction whose stateless rules and signatures already passed: its
     * inputs exist and are unspent and unlocked, keys and fee are right — then its inputs are locked for it, atomically.
     * Row locks (FOR UPDATE) make a conflicting transaction validated at the same time on another replica wait, then
     * find the inputs locked and lose cleanly. A rejected transaction writes nothing. Seeing the same transaction
     * again returns the verdict it got.
     */
    public Verdict validateAndLock(Transaction tx) {
        return validateAndLockAll(List.of(tx)).get(0);
    }

    /**
     * {@link #validateAndLock} for a poll of transactions in one database transaction (one round trip per kind of
     * statement, one commit): the verdicts, in order, are those the transactions would get one after the other — a
     * later one spending an input an earlier one locked loses with INPUT_LOCKED, a repeated one gets the first's verdict.
     * No limit on the mempool: {@link #validateAndLockAll(List, long)}.
     */
    public List<Verdict> validateAndLockAll(List<Transaction> txs) {
        return validateAndLockAll(txs, Long.MAX_VALUE);
    }

    /**
     * {@link #validateAndLockAll(List)} with at most {@code maxPending} transactions pending (locked, not final) once the
     * poll is done: a valid transaction that would be pending beyond that gets MEMPOOL_FULL and locks nothing. The count
     * is read at the start of the poll, so replicas validating at the same time may together go past it by their polls.
     */
    public List<Verdict> validateAndLockAll(List<Transaction> txs, long maxPending) {
        return db.inTransaction(c -> {
            lockTransactions(c, lockKeys(txs));
            Set<Hash> bodyless = new HashSet<>();
            Map<Hash, Verdict> known = knownVerdicts(c, txs, bodyless);
            List<Transaction> fresh = txs.stream().filter(tx -> !known.containsKey(tx.txid()) || bodyless.contains(tx.txid())).toList();
            long room = maxPending == Long.MAX_VALUE || fresh.isEmpty() ? Long.MAX_VALUE : maxPending - pendingCount(c);
            Map<OutPoint, Stored> resolved = resolve(c, spentBy(fresh), true);
            Claims claims = Claims.read(c, fresh);
            List<byte[]> rowNodeKeys = new ArrayList<>();
            List<byte[]> rowCollaterals = new ArrayList<>();
            Map<OutPoint, Hash> lockedHere = new HashMap<>();
            Map<Hash, Verdict> decided = new HashMap<>(known);
            List<Verdict> verdicts = new ArrayList<>(txs.size());
            List<byte[]> lockTxids = new ArrayList<>();
            List<byte[]> lockPrevTxids = new ArrayList<>();
            List<Integer> lockIdxs = new ArrayList<>();
            List<byte[]> rowTxids = new ArrayList<>();
            List<byte[]> rowBodies = new ArrayList<>();
            List<Long> rowFees = new ArrayList<>();
            for (Transaction tx : txs) {
                Verdict v = bodyless.remove(tx.txid()) ? completeFinality(c, tx, resolved, lockedHere) : decided.get(tx.txid());
                if (v != null && v.completedFinality()) decided.put(tx.txid(), new Verdict(true, null, v.fee()));
                if (v == null) {
                    Checked checked = stateful(tx, resolved, lockedHere, claims);
                    if (checked.lock() && room <= 0) checked = Checked.reject(RejectReason.MEMPOOL_FULL);
                    else if (checked.lock()) room--;
                    v = checked.verdict();
                    decided.put(tx.txid(), v);
                    if (checked.lock()) {
                        for (TxInput in : tx.inputs()) {
                            lockedHere.put(in.previous(), tx.txid());
                            lockTxids.add(tx.txid().toByteArray());
                            lockPrevTxids.add(in.previous().txid().toByteArray());
                            lockIdxs.add(in.previous().index());
                        }
                        rowTxids.add(tx.txid().toByteArray());
                        rowBodies.add(tx.toBytes());
                        rowFees.add(v.fee().sat());
                        MasternodeRegistration reg = tx.payload() instanceof MasternodeRegistration r ? r : null;
                        PublicKey claimedKey = reg != null ? reg.nodeKey() : tx.payload() instanceof MasternodeActivation a ? a.nodeKey() : null;
                        rowNodeKeys.add(claimedKey == null ? null : claimedKey.toByteArray());
                        rowCollaterals.add(reg == null || reg.collateral().equals(OutPoint.NULL) ? null : collateralKey(reg.collateral()));
                        claims.claim(tx); // a second registration (or activation) of the key or collateral in this poll loses
                    }
                }
                verdicts.add(v);
            }
            if (!lockIdxs.isEmpty()) {
                int locked = updateEach(c, "UPDATE utxo u SET state = " + UtxoState.LOCKED.code + ", lock_txid = x.l, locked_at = now() FROM unnest(?::bytea[], ?::int4[], ?::bytea[]) "
                        + "AS x(t, i, l) WHERE u.txid = x.t AND u.idx = x.i AND u.state = " + UtxoState.UNSPENT.code, bytea(c, lockPrevTxids), ints(c, lockIdxs), bytea(c, lockTxids));
                if (locked != lockIdxs.size()) throw new IllegalStateException("inputs changed under their row locks");
            }
            if (!rowTxids.isEmpty()) { // an activation locks no input, yet is pending
                // a transaction released earlier (its lock expired, or consensus gave up on it) and seen again is pending again
                updateEach(c, "INSERT INTO tx (txid, body, status, fee, mn_node_key, mn_collateral) SELECT t, b, 1, f, k, l "
                        + "FROM unnest(?::bytea[], ?::bytea[], ?::int8[], ?::bytea[], ?::bytea[]) AS x(t, b, f, k, l) "
                        + "ON CONFLICT (txid) DO UPDATE SET status = " + TxState.PENDING.code + ", body = EXCLUDED.body, fee = EXCLUDED.fee, reason = NULL, updated_at = now(), "
                        + "mn_node_key = EXCLUDED.mn_node_key, mn_collateral = EXCLUDED.mn_collateral WHERE tx.status IN (" + TxState.REJECTED.code + ", " + TxState.RELEASED.code + ")",
                        bytea(c, rowTxids), bytea(c, rowBodies), longs(c, rowFees), bytea(c, rowNodeKeys), bytea(c, rowCollaterals));
            }
            return verdicts;
        });
    }

    /**
     * The counts of pending (status 1) and of final, not yet in a block (status 2) transactions. Each must read its own
     * partial index ({@code tx_pending}, {@code tx_final_unconfirmed}): PostgreSQL uses neither for {@code status IN
     * (1, 2)}, which scanned the whole transaction history each time a gateway asked (every 500 ms under submissions).
     */
    static final String PENDING_COUNT_SQL = "SELECT count(*) FROM tx WHERE status = " + TxState.PENDING.code;
    static final String MEMPOOL_SQL = "SELECT (" + PENDING_COUNT_SQL + "), (SELECT count(*) FROM tx WHERE status = " + TxState.FINAL.code + ")";

    private static long pendingCount(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(PENDING_COUNT_SQL); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** A verdict, and whether its inputs are to be locked now (not when another copy of it locked them already). */
    private record Checked(Verdict verdict, boolean lock) {
        static Checked reject(RejectReason reason) {
            return new Checked(new Verdict(false, reason, null), false);
        }
    }

    /**
     * Transactions this ledger already approved (pending, final or confirmed): approved again, with their fee. Those
     * final by a certificate whose body this ledger had not seen go into {@code bodyless}.
     */
    private static Map<Hash, Verdict> knownVerdicts(Connection c, List<Transaction> txs, Set<Hash> bodyless) throws SQLException {
        Map<Hash, Verdict> known = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT txid, fee, body IS NULL FROM tx WHERE txid = ANY(?::bytea[]) AND status IN (" + TxState.PENDING.code + ", " + TxState.FINAL.code + ", " + TxState.CONFIRMED.code + ") FOR UPDATE")) {
            ps.setArray(1, bytea(c, txs.stream().map(tx -> tx.txid().toByteArray()).toList()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Hash txid = new Hash(rs.getBytes(1));
                    known.put(txid, new Verdict(true, null, Amount.sat(rs.getLong(2))));
                    if (rs.getBoolean(3)) bodyless.add(txid);
                }
            }
        }
        return known;
    }

    /**
     * The body of a transaction already final here by its certificate: its finality takes effect now (inputs spent,
     * outputs made), rather than when its block comes, so that its children need not wait for the block.
     */
    private static Verdict completeFinality(Connection c, Transaction tx, Map<OutPoint, Stored> resolved, Map<OutPoint, Hash> lockedHere) throws SQLException {
        spendAndCreate(c, List.of(tx), resolved);
        for (TxInput i : tx.inputs()) lockedHere.put(i.previous(), tx.txid()); // spent now: a later spend in this poll loses
        // the fee, when every input is known here (else the block brings it)
        Long fee = null;
        if (tx.inputs().stream().allMatch(i -> resolved.containsKey(i.previous()))) {
            long in = tx.inputs().stream().mapToLong(i -> resolved.get(i.previous()).output().amount().sat()).sum();
            long out = tx.outputs().stream().mapToLong(o -> o.amount().sat()).sum();
            if (in >= out) fee = in - out;
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE tx SET body = ?, fee = COALESCE(fee, ?), updated_at = now() WHERE txid = ? AND body IS NULL")) {
            ps.setBytes(1, tx.toBytes());
            if (fee == null) ps.setNull(2, java.sql.Types.BIGINT);
            else ps.setLong(2, fee);
            ps.setBytes(3, tx.txid().toByteArray());
            ps.executeUpdate();
        }
        return new Verdict(true, null, fee == null ? Amount.ZERO : Amount.sat(fee), true);
    }

    /** The checks of one transaction against the inputs as stored, and those locked earlier in the same poll. */
    private static Checked stateful(Transaction tx, Map<OutPoint, Stored> resolved, Map<OutPoint, Hash> lockedHere, Claims claims) {
        if (tx.payload() instanceof MasternodeActivation a) {
            Integer state = claims.registered.get(a.nodeKey());
            if (state == null || state == LEFT) return Checked.reject(RejectReason.NOT_REGISTERED);
            // a member proves again (a renewal), no sooner than ServiceProof.MIN_GAP_BLOCKS after its latest proof
            if (state == ACTIVE && !ServiceProof.renews(claims.provenHeight.get(a.nodeKey()), a.height())) return Checked.reject(RejectReason.ALREADY_ACTIVE);
            if (claims.claimedNodeKeys.contains(a.nodeKey())) return Checked.reject(RejectReason.NODE_KEY_IN_USE);
            // it names a block of this chain, recent enough that only a node running now could have signed it
            if (!a.blockHash().equals(claims.recentBlocks.get(a.height())) || claims.tipHeight - a.height() > MasternodeActivation.MAX_AGE_BLOCKS) {
                return Checked.reject(RejectReason.STALE_ACTIVATION);
            }
            return new Checked(new Verdict(true, null, Amount.ZERO), true);
        }
        List<TxOutput> spent = new ArrayList<>();
        int lockedByItself = 0; // another copy of it (relayed and submitted both) validated meanwhile: same verdict
        for (TxInput in : tx.inputs()) {
            Stored s = resolved.get(in.previous());
            if (s == null) return Checked.reject(RejectReason.UNKNOWN_INPUT);
            // the collateral of a registration on its way: spent now, the registration could never go in a block
            if (claims.claimedCollaterals.contains(in.previous())) return Checked.reject(RejectReason.COLLATERAL_IN_USE);
            if (lockedHere.containsKey(in.previous())) return Checked.reject(RejectReason.INPUT_LOCKED);
            if (s.state() == UtxoState.LOCKED && tx.txid().equals(s.lockTxid())) lockedByItself++;
            else if (s.state() == UtxoState.LOCKED) return Checked.reject(RejectReason.INPUT_LOCKED);
            else if (s.state() != UtxoState.UNSPENT) return Checked.reject(RejectReason.INPUT_SPENT);
            spent.add(s.output());
        }
        TxOutput collateral = null;
        if (tx.payload() instanceof MasternodeRegistration r) {
            if (claims.nodeKeyTaken(r.nodeKey())) return Checked.reject(RejectReason.NODE_KEY_IN_USE);
            if (!r.collateral().equals(OutPoint.NULL)) {
                Stored s = resolved.get(r.collateral());
                if (s == null) return Checked.reject(RejectReason.INVALID_REGISTRATION);
                if (s.state() != UtxoState.UNSPENT || lockedHere.containsKey(r.collateral()) || claims.backing.contains(r.collateral())
                        || claims.claimedCollaterals.contains(r.collateral())) {
                    return Checked.reject(RejectReason.COLLATERAL_IN_USE);
                }
                collateral = s.output();
            }
        }
        SpendCheck.Result result = SpendCheck.check(tx, spent, collateral);
        if (!result.ok()) return Checked.reject(result.reject());
        if (lockedByItself > 0 && lockedByItself < tx.inputs().size()) throw new IllegalStateException("some inputs of " + tx.txid() + " locked by it, some not");
        return new Checked(new Verdict(true, null, result.fee()), lockedByItself == 0);
    }

    /** Txids, and the node keys registrations name: two registrations of one key on two replicas serialize (no row to lock). */
    private static List<Hash> lockKeys(List<Transaction> txs) {
        List<Hash> keys = new ArrayList<>(txs.size());
        for (Transaction tx : txs) {
            keys.add(tx.txid());
            if (tx.payload() instanceof MasternodeRegistration r) keys.add(new Hash(r.nodeKey().toByteArray()));
        }
        return keys;
    }

    /** Frees the inputs a transaction locked (approval impossible or timed out). Idempotent. */
    public boolean release(Hash txid, String reason) {
        return db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE utxo SET state = " + UtxoState.UNSPENT.code + ", lock_txid = NULL, locked_at = NULL WHERE state = " + UtxoState.LOCKED.code + " AND lock_txid = ?")) {
                ps.setBytes(1, txid.toByteArray());
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE tx SET status = " + TxState.RELEASED.code + ", reason = ?, updated_at = now() WHERE txid = ? AND status = " + TxState.PENDING.code)) {
                ps.setString(1, reason);
                ps.setBytes(2, txid.toByteArray());
                return ps.executeUpdate() > 0;
            }
        });
    }

    /** Releases every lock older than {@code seconds} (consensus normally releases them; this covers its absence). */
    public List<Hash> expiredLocks(long seconds) {
        return db.inTransaction(c -> {
            List<Hash> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT DISTINCT lock_txid FROM utxo WHERE state = " + UtxoState.LOCKED.code + " AND locked_at < now() - make_interval(secs => ?)")) {
                ps.setLong(1, seconds);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) out.add(new Hash(rs.getBytes(1)));
                }
            }
            // an activation locks no input, yet its pending row claims its node key: without this a proof whose votes
            // never came would refuse every later proof of that node here (NODE_KEY_IN_USE), and the node would expire
            try (PreparedStatement ps = c.prepareStatement("SELECT txid FROM tx WHERE status = " + TxState.PENDING.code + " AND mn_node_key IS NOT NULL AND mn_collateral IS NULL "
                    + "AND updated_at < now() - make_interval(secs => ?)")) {
                ps.setLong(1, seconds);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) out.add(new Hash(rs.getBytes(1)));
                }
            }
            return out;
        });
    }

    /** Frees every lock of the transactions that lost an input to a final one or a block, and rejects those still pending. */
    static void releaseConflicting(Connection c, Set<Hash> txids) throws SQLException {
        if (txids.isEmpty()) return;
        List<byte[]> ids = txids.stream().map(Hash::toByteArray).toList();
        try (PreparedStatement ps = c.prepareStatement("UPDATE utxo SET state = " + UtxoState.UNSPENT.code + ", lock_txid = NULL, locked_at = NULL WHERE state = " + UtxoState.LOCKED.code + " AND lock_txid = ANY(?::bytea[])")) {
            ps.setArray(1, bytea(c, ids));
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE tx SET status = " + TxState.REJECTED.code + ", reason = 'CONFLICT_FINALIZED', updated_at = now() "
                + "WHERE txid = ANY(?::bytea[]) AND status = " + TxState.PENDING.code)) {
            ps.setArray(1, bytea(c, ids));
            ps.executeUpdate();
        }
    }

    /** The outpoints a transaction spends and creates (empty if its body is unknown here). */
    public List<OutPoint> outPointsOf(Hash txid) {
        return db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT body FROM tx WHERE txid = ?")) {
                ps.setBytes(1, txid.toByteArray());
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next() || rs.getBytes(1) == null) return List.of();
                    return UtxoCache.touched(Transaction.decode(rs.getBytes(1)));
                }
            }
        });
    }
}
