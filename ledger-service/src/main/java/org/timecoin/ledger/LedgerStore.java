package org.timecoin.ledger;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import org.timecoin.ledger.core.BlockCheck;
import org.timecoin.ledger.core.BlockOrder;
import org.timecoin.ledger.core.SpendCheck;
import org.timecoin.ledger.core.UtxoCommitment;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.KeyHash;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.Block;
import org.timecoin.protocol.model.CommitCertificate;
import org.timecoin.protocol.model.FinalityCertificate;
import org.timecoin.protocol.model.MasternodeActivation;
import org.timecoin.protocol.model.MasternodeRegistration;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.Tier;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxInput;
import org.timecoin.protocol.model.TxOutput;
import org.timecoin.protocol.rules.RejectReason;
import org.timecoin.protocol.rules.ServiceProof;
import org.timecoin.protocol.rules.ValidatorSet;
import org.timecoin.protocol.stack.StackRecords;

/**
 * Every read and write of the ledger's PostgreSQL state. Each public method is one database transaction. Writes of a
 * block are batched: one statement per kind of change for the whole block (arrays + unnest), never one per UTXO.
 */
@ApplicationScoped
public class LedgerStore {
    private static final Logger LOG = Logger.getLogger(LedgerStore.class);
    public record Tip(long height, Hash hash, long timestampMillis, long epoch, Hash utxoCommitment) {
    }

    /** A spent output as stored, with its state. */
    /** An output as stored; {@code confirmed}: created by a block (an output made by finality alone is not, yet). */
    record Stored(OutPoint outPoint, TxOutput output, UtxoState state, Hash lockTxid, Hash spentBy, boolean confirmed) {
    }

    public record Applied(long height, Hash hash, long timestampMillis, Hash utxoCommitment, ValidatorSet nextSet, boolean alreadyApplied) {
    }

    /**
     * A validation's outcome. {@code completedFinality}: the transaction was already final here by its certificate alone
     * (the certificate came before the body) and its body, now known, has just spent its inputs and made its outputs.
     */
    public record Verdict(boolean approved, RejectReason reason, Amount fee, boolean completedFinality) {
        public Verdict(boolean approved, RejectReason reason, Amount fee) {
            this(approved, reason, fee, false);
        }
    }

    private final DataSource dataSource;
    private final long haltBeforeCommitAtHeight;
    private final java.nio.file.Path haltMarker;

    public LedgerStore(DataSource dataSource) {
        this(dataSource, -1, java.util.Optional.empty());
    }

    /**
     * The two fault settings exist for the crash tests only: with them, the first process to apply block
     * {@code haltBeforeCommitAtHeight} creates the marker file and halts (like kill -9) after every statement of the
     * block ran and before the commit.
     */
    @jakarta.inject.Inject
    public LedgerStore(DataSource dataSource,
                       @org.eclipse.microprofile.config.inject.ConfigProperty(name = "timecoin.ledger.fault.halt-before-commit-height", defaultValue = "-1")
                       long haltBeforeCommitAtHeight,
                       @org.eclipse.microprofile.config.inject.ConfigProperty(name = "timecoin.ledger.fault.halt-marker")
                       java.util.Optional<String> haltMarker) {
        this.dataSource = dataSource;
        this.haltBeforeCommitAtHeight = haltBeforeCommitAtHeight;
        this.haltMarker = haltMarker.map(java.nio.file.Path::of).orElse(null);
    }

    private void maybeHalt(long height) {
        if (height != haltBeforeCommitAtHeight || haltMarker == null) return;
        try {
            java.nio.file.Files.createFile(haltMarker);
        } catch (java.io.IOException alreadyHalted) {
            return; // another process crashed here already: this one goes on
        }
        Runtime.getRuntime().halt(137);
    }

    // ---- helpers ----

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
    private static int updateEach(Connection c, String sql, Array... columns) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < columns.length; i++) ps.setArray(i + 1, columns[i]);
            return ps.executeUpdate();
        }
    }

    private static Array bytea(Connection c, List<byte[]> values) throws SQLException {
        return c.createArrayOf("bytea", values.toArray(new byte[0][]));
    }

    private static Array ints(Connection c, List<Integer> values) throws SQLException {
        return c.createArrayOf("int4", values.toArray(new Integer[0]));
    }

    private static Array longs(Connection c, List<Long> values) throws SQLException {
        return c.createArrayOf("int8", values.toArray(new Long[0]));
    }

    private static Hash hashOrNull(byte[] b) {
        return b == null ? null : new Hash(b);
    }

    // ---- chain ----

    public Optional<Tip> tip() {
        return inTransaction(c -> tip(c, false));
    }

    private static Optional<Tip> tip(Connection c, boolean forUpdate) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + TIP_COLUMNS + " FROM chain_state" + (forUpdate ? " FOR UPDATE" : ""))) {
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(tipOf(rs)) : Optional.empty();
            }
        }
    }

    private static final String TIP_COLUMNS = "applied_height, tip_hash, tip_timestamp, set_epoch, utxo_commitment";

    /** The tip from a row whose first columns are {@link #TIP_COLUMNS}. */
    private static Tip tipOf(ResultSet rs) throws SQLException {
        return new Tip(rs.getLong(1), new Hash(rs.getBytes(2)), rs.getLong(3), rs.getLong(4), new Hash(rs.getBytes(5)));
    }

    /** The validator set for block {@code height} (registrations applied so far), with the stored epoch. */
    public ValidatorSet validatorSet() {
        return inTransaction(c -> {
            Tip t = tip(c, false).orElseThrow(() -> new IllegalStateException("no chain yet"));
            return validatorSet(c, t.height() + 1, t.epoch());
        });
    }

    private static ValidatorSet validatorSet(Connection c, long height, long epoch) throws SQLException {
        StoredEpoch stored = storedEpoch(c, epoch);
        return new ValidatorSet(height, Math.min(epoch, height), members(c, height), stored == null ? null : stored.jointVoters());
    }

    /** The masternodes in force at {@code height}: activated by a block before the boundary, not removed or expired by then. */
    private static List<ValidatorSet.Member> members(Connection c, long height) throws SQLException {
        List<ValidatorSet.Member> members = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT node_key, tier, reward_key_hash, collateral_txid, collateral_idx FROM masternode "
                + "WHERE active_from <= ? AND (removed_from IS NULL OR removed_from > ?) AND (expired_from IS NULL OR expired_from > ?) ORDER BY node_key")) {
            ps.setLong(1, height);
            ps.setLong(2, height);
            ps.setLong(3, height);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    members.add(new ValidatorSet.Member(new PublicKey(rs.getBytes(1)), Tier.byCode(rs.getInt(2)), new KeyHash(rs.getBytes(3)),
                            new OutPoint(new Hash(rs.getBytes(4)), rs.getInt(5))));
                }
            }
        }
        return members;
    }

    /** An epoch's voters as kept when it began (null for an epoch begun before V7__epochs.sql). */
    private record StoredEpoch(List<ValidatorSet.Member> voters, List<ValidatorSet.Member> jointVoters) {
    }

    private static StoredEpoch storedEpoch(Connection c, long epoch) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT voters, joint_voters FROM validator_epoch WHERE epoch = ?")) {
            ps.setLong(1, epoch);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return null;
                byte[] joint = rs.getBytes(2);
                return new StoredEpoch(StackRecords.decodeMembers(rs.getBytes(1)), joint == null ? null : StackRecords.decodeMembers(joint));
            }
        }
    }

    /**
     * The set a finality certificate naming {@code epoch} is checked against: that epoch's, kept by the ledger (voters
     * only: a few KB per epoch), so a transaction final before any number of set changes can still be archived; null
     * for an epoch that never began.
     */
    public ValidatorSet certificateSet(long epoch) {
        return inTransaction(c -> {
            Tip t = tip(c, false).orElseThrow(() -> new IllegalStateException("no chain yet"));
            return certificateSet(c, t, validatorSet(c, t.height() + 1, t.epoch()), epoch);
        });
    }

    private static ValidatorSet certificateSet(Connection c, Tip t, ValidatorSet current, long epoch) throws SQLException {
        if (epoch == current.epoch()) return current;
        StoredEpoch stored = epoch > current.epoch() ? null : storedEpoch(c, epoch);
        return stored == null ? null : new ValidatorSet(t.height() + 1, epoch, stored.voters(), stored.jointVoters());
    }

    /** Loads the outputs at these outpoints (missing ones are absent from the map). */
    private static Map<OutPoint, Stored> resolve(Connection c, Set<OutPoint> points, boolean forUpdate) throws SQLException {
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

    private static Set<OutPoint> spentBy(List<Transaction> txs) {
        Set<OutPoint> points = new HashSet<>();
        for (Transaction tx : txs) {
            for (TxInput in : tx.inputs()) points.add(in.previous());
            if (tx.payload() instanceof MasternodeRegistration r && !r.collateral().equals(OutPoint.NULL)) points.add(r.collateral());
        }
        return points;
    }

    /**
     * Checks a block against the chain and the UTXO set without writing anything; null when it may be applied. Used
     * both for proposals (before preparing) and, inside {@link #applyBlock}, for finalized blocks.
     */
    public String checkBlock(int chainId, Block block, List<FinalityCertificate> certificates) {
        Refusal r = refusal(chainId, block, certificates);
        return r == null ? null : r.reason();
    }

    /** Why a block may not be applied, and the transaction that breaks the rule (null when the block as a whole does). */
    public record Refusal(String reason, Hash txid) {
    }

    /** {@link #checkBlock}, naming the transaction at fault: a leader leaves it out rather than propose a block no one takes. */
    public Refusal refusal(int chainId, Block block, List<FinalityCertificate> certificates) {
        return inTransaction(c -> {
            Tip t = tip(c, false).orElseThrow(() -> new IllegalStateException("no chain yet"));
            ValidatorSet set = validatorSet(c, t.height() + 1, t.epoch());
            List<Transaction> txs = block.transactions().subList(1, block.transactions().size());
            if (certificates != null) {
                if (certificates.size() != txs.size()) return new Refusal("MISSING_CERTIFICATE", null);
                Map<Long, ValidatorSet> byEpoch = new HashMap<>();
                for (int i = 0; i < txs.size(); i++) {
                    FinalityCertificate f = certificates.get(i);
                    // checked against the set of the epoch it names (kept here), whatever changed since
                    ValidatorSet named = byEpoch.containsKey(f.validatorSetHeight()) ? byEpoch.get(f.validatorSetHeight())
                            : certificateSet(c, t, set, f.validatorSetHeight());
                    byEpoch.put(f.validatorSetHeight(), named);
                    if (!f.txid().equals(txs.get(i).txid()) || named == null || f.verify(chainId, named) != null) {
                        return new Refusal("BAD_FINALITY_CERTIFICATE", txs.get(i).txid());
                    }
                }
            }
            Hash[] culprit = new Hash[1];
            String why = check(c, chainId, block, t, set, resolve(c, spentBy(txs), false), culprit);
            return why == null ? null : new Refusal(why, culprit[0]);
        });
    }

    /** Outputs a block creates, as unspent entries: a transaction may spend outputs of earlier ones in the same block. */
    private static void addOutputs(Map<OutPoint, Stored> resolved, Transaction tx) {
        for (int i = 0; i < tx.outputs().size(); i++) {
            OutPoint op = new OutPoint(tx.txid(), i);
            resolved.putIfAbsent(op, new Stored(op, tx.outputs().get(i), UtxoState.UNSPENT, null, null, true));
        }
    }

    /** {@code culprit[0]} is set to the transaction that breaks a rule of its own. */
    private static String check(Connection c, int chainId, Block block, Tip t, ValidatorSet set, Map<OutPoint, Stored> stored, Hash[] culprit) throws SQLException {
        Map<OutPoint, Stored> resolved = new HashMap<>(stored);
        addOutputs(resolved, block.transactions().get(0));
        // outputs a block may spend: confirmed by earlier blocks, or made earlier in this block (BlockOrder) — never
        // outputs only finality made here, which another node may not have yet
        Set<Hash> earlierInBlock = new HashSet<>(List.of(block.transactions().get(0).txid()));
        List<Transaction> body = block.transactions().subList(1, block.transactions().size());
        String registrations = checkRegistrations(c, body, block.height(), culprit);
        if (registrations != null) return registrations;
        Amount fees = Amount.ZERO;
        for (Transaction tx : body) {
            culprit[0] = tx.txid();
            if (tx.payload() instanceof MasternodeActivation) { // moves nothing: its rules are checkRegistrations'
                earlierInBlock.add(tx.txid());
                continue;
            }
            List<TxOutput> spent = new ArrayList<>();
            for (TxInput in : tx.inputs()) {
                Stored s = resolved.get(in.previous());
                if (s == null) return "UNKNOWN_INPUT";
                if (!s.confirmed() && !earlierInBlock.contains(in.previous().txid())) return "UNCONFIRMED_INPUT";
                boolean spentElsewhere = (s.state() == UtxoState.SPENT_FINAL || s.state() == UtxoState.SPENT_CONFIRMED) && !tx.txid().equals(s.spentBy());
                if (spentElsewhere || s.state() == UtxoState.SPENT_CONFIRMED) return "INPUT_SPENT";
                spent.add(s.output());
            }
            TxOutput collateral = null;
            if (tx.payload() instanceof MasternodeRegistration r && !r.collateral().equals(OutPoint.NULL)) {
                Stored s = resolved.get(r.collateral());
                if (s == null) return "INVALID_REGISTRATION";
                if (!s.confirmed() && !earlierInBlock.contains(r.collateral().txid())) return "UNCONFIRMED_INPUT";
                if (s.state() == UtxoState.SPENT_CONFIRMED) return RejectReason.COLLATERAL_IN_USE.name();
                collateral = s.output();
            }
            SpendCheck.Result result = SpendCheck.check(tx, spent, collateral);
            if (!result.ok()) return result.reject().name();
            fees = fees.plus(result.fee());
            addOutputs(resolved, tx);
            earlierInBlock.add(tx.txid());
        }
        culprit[0] = null;
        return BlockCheck.check(block, chainId, t.height(), t.hash(), t.timestampMillis(), set, fees);
    }

    private static List<ValidatorSet.Member> voters(List<ValidatorSet.Member> members) {
        return members.stream().filter(m -> m.tier().votingWeight() > 0).toList();
    }

    private static void writeEpoch(Connection c, long epoch, List<ValidatorSet.Member> voters, List<ValidatorSet.Member> jointVoters) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO validator_epoch (epoch, voters, joint_voters) VALUES (?, ?, ?) ON CONFLICT (epoch) DO NOTHING")) {
            ps.setLong(1, epoch);
            ps.setBytes(2, StackRecords.encodeMembers(voters));
            ps.setBytes(3, jointVoters == null ? null : StackRecords.encodeMembers(jointVoters));
            ps.executeUpdate();
        }
    }

    /**
     * One collateral, one masternode, as a block rule (a Byzantine leader's block cannot smuggle a second one in): a
     * block's registrations name distinct node keys and collaterals, none registered already, and no transaction of the
     * block spends a collateral one of them names. Null when they may be applied.
     */
    private static String checkRegistrations(Connection c, List<Transaction> body, long height, Hash[] culprit) throws SQLException {
        String activations = checkActivations(c, body, height, culprit);
        if (activations != null) return activations;
        Set<PublicKey> keys = new HashSet<>();
        Map<OutPoint, Hash> collaterals = new HashMap<>();
        for (Transaction tx : body) {
            if (!(tx.payload() instanceof MasternodeRegistration r)) continue;
            culprit[0] = tx.txid();
            if (!keys.add(r.nodeKey())) return RejectReason.NODE_KEY_IN_USE.name();
            if (!r.collateral().equals(OutPoint.NULL) && collaterals.putIfAbsent(r.collateral(), tx.txid()) != null) return RejectReason.COLLATERAL_IN_USE.name();
        }
        culprit[0] = null;
        if (keys.isEmpty()) return null;
        for (Transaction tx : body) {
            for (TxInput in : tx.inputs()) {
                if (!collaterals.containsKey(in.previous())) continue;
                culprit[0] = collaterals.get(in.previous()); // the registration goes: the spend is the older claim on a block
                return RejectReason.COLLATERAL_IN_USE.name();
            }
        }
        List<byte[]> keyBytes = keys.stream().map(PublicKey::toByteArray).toList();
        List<byte[]> collTxids = collaterals.keySet().stream().map(p -> p.txid().toByteArray()).toList();
        List<Integer> collIdxs = collaterals.keySet().stream().map(OutPoint::index).toList();
        try (PreparedStatement ps = c.prepareStatement("SELECT (SELECT count(*) FROM masternode WHERE node_key = ANY(?::bytea[])), "
                + "(SELECT count(*) FROM masternode m JOIN unnest(?::bytea[], ?::int4[]) AS p(t, i) ON m.collateral_txid = p.t AND m.collateral_idx = p.i WHERE m.tier <> 0)")) {
            ps.setArray(1, bytea(c, keyBytes));
            ps.setArray(2, bytea(c, collTxids));
            ps.setArray(3, ints(c, collIdxs));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getLong(1) > 0 || rs.getLong(2) > 0) {
                    culprit[0] = registrationNaming(c, body, rs.getLong(1) > 0);
                    return (rs.getLong(1) > 0 ? RejectReason.NODE_KEY_IN_USE : RejectReason.COLLATERAL_IN_USE).name();
                }
            }
        }
        return null;
    }

    /**
     * Activations as a block rule: each names a node registered by an earlier block and not gone, once in the block, and
     * a block of this chain at most {@link MasternodeActivation#MAX_AGE_IN_BLOCK} below this one; for a node in the set
     * (a renewal) a block far enough above its latest proof ({@link ServiceProof#renews}).
     */
    private static String checkActivations(Connection c, List<Transaction> body, long height, Hash[] culprit) throws SQLException {
        Set<PublicKey> seen = new HashSet<>();
        for (Transaction tx : body) {
            if (!(tx.payload() instanceof MasternodeActivation a)) continue;
            culprit[0] = tx.txid();
            if (!seen.add(a.nodeKey())) return RejectReason.NODE_KEY_IN_USE.name();
            try (PreparedStatement ps = c.prepareStatement("SELECT removed_from IS NULL, " + IN_SET + ", proven_height FROM masternode WHERE node_key = ?")) {
                ps.setBytes(1, a.nodeKey().toByteArray());
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next() || !rs.getBoolean(1)) return RejectReason.NOT_REGISTERED.name();
                    if (rs.getBoolean(2) && !ServiceProof.renews(rs.getLong(3), a.height())) return RejectReason.ALREADY_ACTIVE.name();
                }
            }
            if (a.height() >= height || height - a.height() > MasternodeActivation.MAX_AGE_IN_BLOCK) return RejectReason.STALE_ACTIVATION.name();
            try (PreparedStatement ps = c.prepareStatement("SELECT hash FROM block WHERE height = ?")) {
                ps.setLong(1, a.height());
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next() || !a.blockHash().equals(new Hash(rs.getBytes(1)))) return RejectReason.STALE_ACTIVATION.name();
                }
            }
        }
        culprit[0] = null;
        return null;
    }

    /** A masternode row that is in the set or on its way in (activated, not expired): its proofs are renewals. */
    private static final String IN_SET = "(active_from IS NOT NULL AND expired_from IS NULL)";

    /** The first registration of {@code body} whose node key (or collateral) is registered already. */
    private static Hash registrationNaming(Connection c, List<Transaction> body, boolean byNodeKey) throws SQLException {
        for (Transaction tx : body) {
            if (!(tx.payload() instanceof MasternodeRegistration r)) continue;
            try (PreparedStatement ps = c.prepareStatement(byNodeKey ? "SELECT 1 FROM masternode WHERE node_key = ?"
                    : "SELECT 1 FROM masternode WHERE collateral_txid = ? AND collateral_idx = ? AND tier <> 0")) {
                if (byNodeKey) {
                    ps.setBytes(1, r.nodeKey().toByteArray());
                } else {
                    ps.setBytes(1, r.collateral().txid().toByteArray());
                    ps.setInt(2, r.collateral().index());
                }
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) return tx.txid();
                }
            }
        }
        return null;
    }

    /**
     * Applies a finalized block in one database transaction: its outputs exist and are confirmed, its inputs are spent
     * at this height, its transactions confirmed, registrations recorded (and masternodes whose collateral it spends
     * removed), conflicting locks released, and the tip, epoch and UTXO commitment moved — all or nothing. A block at
     * or below the applied height is a no-op. {@code certificate} is verified here against the current validator set
     * (null only for genesis, which must be the first block).
     */
    public Applied applyBlock(int chainId, Block block, CommitCertificate certificate) {
        return inTransaction(c -> apply(c, chainId, block, certificate));
    }

    /**
     * Applies finalized blocks in order in one database transaction, each as {@link #applyBlock} would — one commit for
     * a run of blocks, as a catching-up node receives them; all or nothing.
     */
    public List<Applied> applyBlocks(int chainId, List<StackRecords.FinalizedBlock> blocks) {
        return inTransaction(c -> {
            List<Applied> applied = new ArrayList<>(blocks.size());
            for (StackRecords.FinalizedBlock f : blocks) applied.add(apply(c, chainId, f.block(), f.certificate()));
            return applied;
        });
    }

    private Applied apply(Connection c, int chainId, Block block, CommitCertificate certificate) throws SQLException {
        // one block at a time across every replica (and one genesis): held until this transaction ends
        try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(7243)")) {
            lock.execute();
        }
        Optional<Tip> tip = tip(c, true);
        long h = block.height();
        if (tip.isPresent() && h <= tip.get().height()) {
            Tip t = tip.get();
            return new Applied(t.height(), t.hash(), t.timestampMillis(), t.utxoCommitment(), validatorSet(c, t.height() + 1, t.epoch()), true);
        }
        List<Transaction> txs = block.transactions();
        List<Transaction> spending = txs.subList(1, txs.size());
        Map<OutPoint, Stored> resolved = resolve(c, spentBy(spending), true);
        if (tip.isPresent()) {
            Tip t = tip.get();
            ValidatorSet set = validatorSet(c, h, t.epoch());
            if (certificate == null || certificate.verify(chainId, block, set) != null) throw new InvalidBlockException("BAD_COMMIT_CERTIFICATE");
            String why = check(c, chainId, block, t, set, resolved, new Hash[1]);
            if (why != null) throw new InvalidBlockException(why);
        } else if (h != 0) {
            throw new InvalidBlockException("NO_GENESIS");
        }
        for (Transaction tx : txs) addOutputs(resolved, tx); // spends of outputs created earlier in this block
        UtxoCommitment commitment = new UtxoCommitment(tip.map(Tip::utxoCommitment).orElse(UtxoCommitment.EMPTY));
        long supplyChange = 0; // sat: outputs this block confirms minus the confirmed outputs it spends

        // outputs created (or confirmed, when finality already created them)
        List<byte[]> oTxid = new ArrayList<>();
        List<Integer> oIdx = new ArrayList<>();
        List<Long> oAmount = new ArrayList<>();
        List<byte[]> oKey = new ArrayList<>();
        for (Transaction tx : txs) {
            for (int i = 0; i < tx.outputs().size(); i++) {
                TxOutput o = tx.outputs().get(i);
                oTxid.add(tx.txid().toByteArray());
                oIdx.add(i);
                oAmount.add(o.amount().sat());
                oKey.add(o.keyHash().toByteArray());
                commitment.add(new OutPoint(tx.txid(), i), o);
                supplyChange = Math.addExact(supplyChange, o.amount().sat());
            }
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO utxo (txid, idx, amount, key_hash, state, created_height) "
                + "SELECT t, i, a, k, 0, ? FROM unnest(?::bytea[], ?::int4[], ?::int8[], ?::bytea[]) AS x(t, i, a, k) "
                + "ON CONFLICT (txid, idx) DO UPDATE SET created_height = EXCLUDED.created_height")) {
            ps.setLong(1, h);
            ps.setArray(2, bytea(c, oTxid));
            ps.setArray(3, ints(c, oIdx));
            ps.setArray(4, longs(c, oAmount));
            ps.setArray(5, bytea(c, oKey));
            ps.executeUpdate();
        }

        // inputs spent; locks that other transactions held on them are released with those transactions
        List<byte[]> sTxid = new ArrayList<>();
        List<Integer> sIdx = new ArrayList<>();
        List<byte[]> sBy = new ArrayList<>();
        Set<Hash> conflicting = new HashSet<>();
        for (Transaction tx : spending) {
            for (TxInput in : tx.inputs()) {
                Stored s = resolved.get(in.previous());
                sTxid.add(in.previous().txid().toByteArray());
                sIdx.add(in.previous().index());
                sBy.add(tx.txid().toByteArray());
                commitment.remove(in.previous(), s.output());
                supplyChange = Math.subtractExact(supplyChange, s.output().amount().sat());
                if (s.state() == UtxoState.LOCKED && !tx.txid().equals(s.lockTxid())) conflicting.add(s.lockTxid());
            }
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE utxo u SET state = " + UtxoState.SPENT_CONFIRMED.code + ", spent_height = ?, spent_by = x.b, lock_txid = NULL, locked_at = NULL "
                + "FROM unnest(?::bytea[], ?::int4[], ?::bytea[]) AS x(t, i, b) WHERE u.txid = x.t AND u.idx = x.i")) {
            ps.setLong(1, h);
            ps.setArray(2, bytea(c, sTxid));
            ps.setArray(3, ints(c, sIdx));
            ps.setArray(4, bytea(c, sBy));
            ps.executeUpdate();
        }
        releaseConflicting(c, conflicting);

        // transactions confirmed
        List<byte[]> tIds = new ArrayList<>();
        List<byte[]> tBodies = new ArrayList<>();
        for (Transaction tx : spending) {
            tIds.add(tx.txid().toByteArray());
            tBodies.add(tx.toBytes());
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO tx (txid, body, status, block_height) SELECT t, b, 3, ? "
                + "FROM unnest(?::bytea[], ?::bytea[]) AS x(t, b) ON CONFLICT (txid) DO UPDATE SET status = " + TxState.CONFIRMED.code + ", block_height = EXCLUDED.block_height, "
                + "body = COALESCE(tx.body, EXCLUDED.body), reason = NULL, updated_at = now()")) {
            ps.setLong(1, h);
            ps.setArray(2, bytea(c, tIds));
            ps.setArray(3, bytea(c, tBodies));
            ps.executeUpdate();
        }

        // masternodes: removed when their collateral is spent, added when registered — both at the next epoch boundary
        long effective = ValidatorSet.nextBoundary(h + 1);
        try (PreparedStatement ps = c.prepareStatement("UPDATE masternode m SET removed_from = ? FROM unnest(?::bytea[], ?::int4[]) AS x(t, i) "
                + "WHERE m.collateral_txid = x.t AND m.collateral_idx = x.i AND m.tier <> 0 AND m.removed_from IS NULL")) {
            ps.setLong(1, effective);
            ps.setArray(2, bytea(c, sTxid));
            ps.setArray(3, ints(c, sIdx));
            ps.executeUpdate();
        }
        for (Transaction tx : spending) {
            if (!(tx.payload() instanceof MasternodeRegistration r)) continue;
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO masternode (node_key, tier, host, port, reward_key_hash, collateral_txid, "
                    + "collateral_idx, registered_height, active_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (node_key) DO NOTHING")) {
                ps.setBytes(1, r.nodeKey().toByteArray());
                ps.setInt(2, r.tier().code());
                ps.setString(3, r.host());
                ps.setInt(4, r.port());
                ps.setBytes(5, r.rewardKeyHash().toByteArray());
                ps.setBytes(6, r.collateral().txid().toByteArray());
                ps.setInt(7, r.collateral().index());
                ps.setLong(8, h);
                // genesis' masternodes are active from height 1; any other waits for its activation
                if (tip.isEmpty()) ps.setLong(9, 1);
                else ps.setNull(9, java.sql.Types.BIGINT);
                ps.executeUpdate();
            }
        }
        for (Transaction tx : spending) {
            if (!(tx.payload() instanceof MasternodeActivation a)) continue;
            // an activation puts a node out of the set in from the next boundary; a member's renews its proof
            try (PreparedStatement ps = c.prepareStatement("UPDATE masternode SET active_from = CASE WHEN " + IN_SET + " THEN active_from ELSE ? END, "
                    + "activated_height = CASE WHEN " + IN_SET + " THEN activated_height ELSE ? END, expired_from = NULL, "
                    + "proven_height = GREATEST(proven_height, ?) WHERE node_key = ? AND removed_from IS NULL")) {
                ps.setLong(1, effective);
                ps.setLong(2, h);
                ps.setLong(3, a.height());
                ps.setBytes(4, a.nodeKey().toByteArray());
                ps.executeUpdate();
            }
        }
        if (ValidatorSet.isBoundary(h + 1) && tip.isPresent()) expireUnproven(c, h + 1);
        voidUnarchivableActivations(c, h);

        try (PreparedStatement ps = c.prepareStatement("INSERT INTO block (height, hash, body, certificate) VALUES (?, ?, ?, ?)")) {
            ps.setLong(1, h);
            ps.setBytes(2, block.hash().toByteArray());
            ps.setBytes(3, block.toBytes());
            ps.setBytes(4, certificate == null ? null : certificate.toBytes());
            ps.executeUpdate();
        }
        long epoch = tip.isPresent() ? tip.get().epoch() : 1;
        if (ValidatorSet.isBoundary(h + 1)) {
            List<ValidatorSet.Member> next = voters(members(c, h + 1));
            StoredEpoch current = tip.isPresent() ? storedEpoch(c, epoch) : null;
            List<ValidatorSet.Member> now = tip.isPresent() ? voters(members(c, h)) : null;
            if (tip.isEmpty()) {
                writeEpoch(c, 1, next, null); // genesis: settled
            } else if (!next.equals(now)) {
                epoch = h + 1; // a change: joint with the voters before it
                writeEpoch(c, epoch, next, now);
            } else if (current == null || current.jointVoters() != null) {
                epoch = h + 1; // the boundary after a change: settled, same voters
                writeEpoch(c, epoch, next, null);
            }
        }
        Hash newCommitment = commitment.value();
        // the supply moves by this block's change, unless it was not kept at the previous height (V3__tracked_supply.sql):
        // then the table is summed, this block's rows included, as they are already written
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO chain_state (id, applied_height, tip_hash, tip_timestamp, set_epoch, utxo_commitment, "
                + "confirmed_supply, supply_height) VALUES (1, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET applied_height = EXCLUDED.applied_height, "
                + "tip_hash = EXCLUDED.tip_hash, tip_timestamp = EXCLUDED.tip_timestamp, set_epoch = EXCLUDED.set_epoch, "
                + "utxo_commitment = EXCLUDED.utxo_commitment, supply_height = EXCLUDED.applied_height, confirmed_supply = CASE "
                + "WHEN chain_state.supply_height = chain_state.applied_height THEN chain_state.confirmed_supply + EXCLUDED.confirmed_supply "
                + "ELSE " + COUNTED_SUPPLY_SQL + " END")) {
            ps.setLong(1, h);
            ps.setBytes(2, block.hash().toByteArray());
            ps.setLong(3, block.header().timestampMillis());
            ps.setLong(4, epoch);
            ps.setBytes(5, newCommitment.toByteArray());
            ps.setLong(6, supplyChange);
            ps.setLong(7, h);
            ps.executeUpdate();
        }
        Applied applied = new Applied(h, block.hash(), block.header().timestampMillis(), newCommitment, validatorSet(c, h + 1, epoch), false);
        maybeHalt(h);
        return applied;
    }

    private static void releaseConflicting(Connection c, Set<Hash> txids) throws SQLException {
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

    // ---- validation and locks ----

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
        return inTransaction(c -> {
            lockTransactions(c, lockKeys(txs));
            Set<Hash> bodyless = new HashSet<>();
            Map<Hash, Verdict> known = knownVerdicts(c, txs, bodyless);
            List<Transaction> fresh = txs.stream().filter(tx -> !known.containsKey(tx.txid()) || bodyless.contains(tx.txid())).toList();
            long room = maxPending == Long.MAX_VALUE || fresh.isEmpty() ? Long.MAX_VALUE : maxPending - pendingCount(c);
            Map<OutPoint, Stored> resolved = resolve(c, spentBy(fresh), true);
            Claims claims = claims(c, fresh);
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
        int[] keys = txids.stream().mapToInt(LedgerStore::txLockKey).distinct().sorted().toArray();
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

    /**
     * What a registration may not take: node keys registered or claimed, collaterals backing a masternode, and
     * collaterals claimed by a registration pending or final here (which no other transaction may spend meanwhile).
     * Read for a poll's registrations and inputs; the poll adds what it accepts.
     */
    private static final class Claims {
        final Map<PublicKey, Integer> registered = new HashMap<>(); // node key → INACTIVE (or expired), ACTIVE (or activated, waiting for its boundary) or LEFT
        final Map<PublicKey, Long> provenHeight = new HashMap<>();  // the block its latest proof of service names
        final Set<PublicKey> claimedNodeKeys = new HashSet<>();     // by a registration or activation pending or final here
        final Set<OutPoint> backing = new HashSet<>();
        final Set<OutPoint> claimedCollaterals = new HashSet<>();
        final Map<Long, Hash> recentBlocks = new HashMap<>();        // what activations may name
        long tipHeight;

        void claim(Transaction tx) {
            if (tx.payload() instanceof MasternodeRegistration r) {
                claimedNodeKeys.add(r.nodeKey());
                if (!r.collateral().equals(OutPoint.NULL)) claimedCollaterals.add(r.collateral());
            } else if (tx.payload() instanceof MasternodeActivation a) {
                claimedNodeKeys.add(a.nodeKey());
            }
        }

        boolean nodeKeyTaken(PublicKey key) {
            return registered.containsKey(key) || claimedNodeKeys.contains(key);
        }
    }

    /** A registered masternode's state, as {@link Claims} reads it. */
    private static final int INACTIVE = 0, ACTIVE = 1, LEFT = 2;

    /** {@code txid ‖ u32 index}: how a claimed collateral is stored. */
    static byte[] collateralKey(OutPoint p) {
        return java.nio.ByteBuffer.allocate(Hash.LENGTH + 4).put(p.txid().toByteArray()).putInt(p.index()).array();
    }

    private static OutPoint collateralFromKey(byte[] b) {
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(b);
        byte[] txid = new byte[Hash.LENGTH];
        buf.get(txid);
        return new OutPoint(new Hash(txid), buf.getInt());
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

    private static Claims claims(Connection c, List<Transaction> txs) throws SQLException {
        Claims claims = new Claims();
        List<byte[]> keys = new ArrayList<>();
        List<byte[]> points = new ArrayList<>();
        List<byte[]> collTxids = new ArrayList<>();
        List<Integer> collIdxs = new ArrayList<>();
        boolean activations = false;
        for (Transaction tx : txs) {
            for (TxInput in : tx.inputs()) points.add(collateralKey(in.previous()));
            if (tx.payload() instanceof MasternodeActivation a) {
                keys.add(a.nodeKey().toByteArray());
                activations = true;
            }
            if (!(tx.payload() instanceof MasternodeRegistration r)) continue;
            keys.add(r.nodeKey().toByteArray());
            if (r.collateral().equals(OutPoint.NULL)) continue;
            points.add(collateralKey(r.collateral()));
            collTxids.add(r.collateral().txid().toByteArray());
            collIdxs.add(r.collateral().index());
        }
        if (!keys.isEmpty()) {
            // a node that left (removed_from set) is registered still: its key is not registered again, nor activated
            try (PreparedStatement ps = c.prepareStatement("SELECT node_key, CASE WHEN removed_from IS NOT NULL THEN " + LEFT
                    + " WHEN " + IN_SET + " THEN " + ACTIVE + " ELSE " + INACTIVE + " END, proven_height FROM masternode WHERE node_key = ANY(?::bytea[])")) {
                ps.setArray(1, bytea(c, keys));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        PublicKey key = new PublicKey(rs.getBytes(1));
                        claims.registered.put(key, rs.getInt(2));
                        claims.provenHeight.put(key, rs.getLong(3));
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT mn_node_key FROM tx WHERE status IN (" + TxState.PENDING.code + ", " + TxState.FINAL.code + ") AND mn_node_key = ANY(?::bytea[])")) {
                ps.setArray(1, bytea(c, keys));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) claims.claimedNodeKeys.add(new PublicKey(rs.getBytes(1)));
                }
            }
        }
        if (activations) {
            try (PreparedStatement ps = c.prepareStatement("SELECT height, hash, (SELECT max(height) FROM block) FROM block "
                    + "WHERE height >= (SELECT max(height) FROM block) - ?")) {
                ps.setLong(1, MasternodeActivation.MAX_AGE_BLOCKS);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        claims.recentBlocks.put(rs.getLong(1), new Hash(rs.getBytes(2)));
                        claims.tipHeight = rs.getLong(3);
                    }
                }
            }
        }
        if (!collTxids.isEmpty()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT m.collateral_txid, m.collateral_idx FROM masternode m "
                    + "JOIN unnest(?::bytea[], ?::int4[]) AS p(t, i) ON m.collateral_txid = p.t AND m.collateral_idx = p.i WHERE m.tier <> 0")) {
                ps.setArray(1, bytea(c, collTxids));
                ps.setArray(2, ints(c, collIdxs));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) claims.backing.add(new OutPoint(new Hash(rs.getBytes(1)), rs.getInt(2)));
                }
            }
        }
        if (!points.isEmpty()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT mn_collateral FROM tx WHERE status IN (" + TxState.PENDING.code + ", " + TxState.FINAL.code + ") AND mn_collateral = ANY(?::bytea[])")) {
                ps.setArray(1, bytea(c, points));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) claims.claimedCollaterals.add(collateralFromKey(rs.getBytes(1)));
                }
            }
        }
        return claims;
    }

    /** Frees the inputs a transaction locked (approval impossible or timed out). Idempotent. */
    public boolean release(Hash txid, String reason) {
        return inTransaction(c -> {
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
        return inTransaction(c -> {
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

    /** What a poll of certificates did: the transactions whose outputs it made (their inputs now spent). */
    public record Finalities(List<Transaction> withOutputs) {
        /** The outpoints these finalities changed: inputs spent, outputs made (for the cache). */
        public List<OutPoint> changed() {
            List<OutPoint> changed = new ArrayList<>();
            for (Transaction tx : withOutputs) changed.addAll(touched(tx));
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
        return inTransaction(c -> {
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
    private static void spendAndCreate(Connection c, List<Transaction> txs, Map<OutPoint, Stored> resolved) throws SQLException {
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

    // ---- proposals ----

    public record Candidate(Transaction tx, Amount fee, FinalityCertificate certificate) {
    }

    /**
     * Final transactions not yet in a block, those final longest first (V4__archive_oldest_first.sql), with their fees
     * and certificates, parents before children ({@link BlockOrder}); a transaction spending an unconfirmed output of a
     * transaction that is not among them is left for a later block.
     */
    public List<Candidate> proposalCandidates(int limit) {
        return inTransaction(c -> {
            List<Candidate> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT body, fee, certificate FROM tx WHERE status = " + TxState.FINAL.code + " AND body IS NOT NULL "
                    + "AND fee IS NOT NULL AND certificate IS NOT NULL ORDER BY updated_at, txid LIMIT ?")) {
                ps.setInt(1, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Candidate(Transaction.decode(rs.getBytes(1)), Amount.sat(rs.getLong(2)), FinalityCertificate.decode(rs.getBytes(3))));
                    }
                }
            }
            Set<Hash> included = new HashSet<>();
            for (Candidate cand : out) included.add(cand.tx().txid());
            Set<OutPoint> outside = new HashSet<>();
            for (Candidate cand : out) for (TxInput in : cand.tx().inputs()) if (!included.contains(in.previous().txid())) outside.add(in.previous());
            Map<OutPoint, Stored> stored = resolve(c, outside, false);
            Set<Hash> excluded = new HashSet<>();
            for (OutPoint p : outside) {
                Stored s = stored.get(p);
                if (s == null || !s.confirmed()) excluded.add(p.txid());
            }
            return BlockOrder.arrange(out, Candidate::tx, excluded);
        });
    }

    /** The outpoints a transaction spends and creates (empty if its body is unknown here). */
    public List<OutPoint> outPointsOf(Hash txid) {
        return inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT body FROM tx WHERE txid = ?")) {
                ps.setBytes(1, txid.toByteArray());
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next() || rs.getBytes(1) == null) return List.of();
                    return touched(Transaction.decode(rs.getBytes(1)));
                }
            }
        });
    }

    /** Inputs and outputs of a transaction. */
    public static List<OutPoint> touched(Transaction tx) {
        List<OutPoint> out = new ArrayList<>();
        for (TxInput in : tx.inputs()) out.add(in.previous());
        for (int i = 0; i < tx.outputs().size(); i++) out.add(new OutPoint(tx.txid(), i));
        return out;
    }

    // ---- reads ----

    public record UtxoView(OutPoint outPoint, TxOutput output, UtxoState state, Long createdHeight) {
    }

    public Optional<UtxoView> utxo(OutPoint p) {
        return inTransaction(c -> {
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
        return inTransaction(c -> {
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
        return inTransaction(c -> {
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
        return inTransaction(c -> {
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
        return inTransaction(c -> {
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
        return inTransaction(c -> {
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
        return inTransaction(c -> {
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
        return inTransaction(c -> {
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
        return inTransaction(c -> {
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
     * A final activation that names a block more than {@link MasternodeActivation#MAX_AGE_IN_BLOCK} below the next one
     * can never go in a block (the block rule refuses it): it is void from now on (status 4, STALE_ACTIVATION), so that
     * it no longer claims its node key and the node's next proof is taken.
     */
    private static void voidUnarchivableActivations(Connection c, long height) throws SQLException {
        List<byte[]> dead = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT txid, body FROM tx WHERE status = " + TxState.FINAL.code + " AND mn_node_key IS NOT NULL AND mn_collateral IS NULL "
                + "AND body IS NOT NULL")) {
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (Transaction.decode(rs.getBytes(2)).payload() instanceof MasternodeActivation a && height + 1 - a.height() > MasternodeActivation.MAX_AGE_IN_BLOCK) {
                        dead.add(rs.getBytes(1));
                    }
                }
            }
        }
        if (dead.isEmpty()) return;
        try (PreparedStatement ps = c.prepareStatement("UPDATE tx SET status = " + TxState.REJECTED.code + ", reason = 'STALE_ACTIVATION', updated_at = now() WHERE txid = ANY(?::bytea[]) AND status = " + TxState.FINAL.code)) {
            ps.setArray(1, bytea(c, dead));
            ps.executeUpdate();
        }
    }

    /**
     * The members in force at {@code boundary} whose latest proof of service is too old leave the set there
     * ({@link ServiceProof}): Free ones always, voters only while their weight is one the set tolerates to be faulty.
     */
    private static void expireUnproven(Connection c, long boundary) throws SQLException {
        List<byte[]> expiredFree = new ArrayList<>();
        List<byte[]> expiredVoters = new ArrayList<>();
        long expiredWeight = 0;
        try (PreparedStatement ps = c.prepareStatement("SELECT node_key, tier FROM masternode WHERE active_from <= ? AND (removed_from IS NULL OR removed_from > ?) "
                + "AND expired_from IS NULL AND proven_height < ?")) {
            ps.setLong(1, boundary);
            ps.setLong(2, boundary);
            ps.setLong(3, boundary - ServiceProof.EXPIRY_BLOCKS);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long weight = Tier.byCode(rs.getInt(2)).votingWeight();
                    (weight == 0 ? expiredFree : expiredVoters).add(rs.getBytes(1));
                    expiredWeight += weight;
                }
            }
        }
        if (expiredFree.isEmpty() && expiredVoters.isEmpty()) return;
        long total = voters(members(c, boundary)).stream().mapToLong(m -> m.tier().votingWeight()).sum();
        List<byte[]> leaving = new ArrayList<>(expiredFree);
        if (ServiceProof.expiredVotersLeave(expiredWeight, total)) leaving.addAll(expiredVoters);
        else if (!expiredVoters.isEmpty()) LOG.warnf("%d voters (weight %d of %d) have not proven service for %d blocks: too many to remove at %d, they stay",
                expiredVoters.size(), expiredWeight, total, ServiceProof.EXPIRY_BLOCKS, boundary);
        try (PreparedStatement ps = c.prepareStatement("UPDATE masternode SET expired_from = ? WHERE node_key = ANY(?::bytea[])")) {
            ps.setLong(1, boundary);
            ps.setArray(2, bytea(c, leaving));
            ps.executeUpdate();
        }
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
        return inTransaction(c -> {
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
        return inTransaction(c -> {
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
    private static final String COUNTED_SUPPLY_SQL = "(SELECT COALESCE(SUM(amount), 0) FROM utxo WHERE created_height IS NOT NULL AND state <> " + UtxoState.SPENT_CONFIRMED.code + ")";
    /** The supply kept per block, or null where it was not kept at the tip's height. */
    private static final String TRACKED_SUPPLY_SQL = "CASE WHEN supply_height = applied_height THEN confirmed_supply END";

    /**
     * The tip and the confirmed supply, both from the chain state row (the supply is kept per block, as the commitment
     * is), so from one snapshot and at the cost of one row whatever the chain's length. Right after a rollout from a
     * version that did not keep it, until this version applies a block, the table is summed instead.
     */
    public Optional<ChainSummary> chainSummary() {
        return inTransaction(c -> {
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
        return inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT applied_height, " + TRACKED_SUPPLY_SQL + ", " + COUNTED_SUPPLY_SQL + " FROM chain_state");
                 ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new SupplyAudit(rs.getLong(1), rs.getObject(2, Long.class), rs.getLong(3))) : Optional.empty();
            }
        });
    }

    /** A block that must not be applied, with the reason. */
    public static final class InvalidBlockException extends RuntimeException {
        public InvalidBlockException(String reason) {
            super(reason);
        }
    }
}
