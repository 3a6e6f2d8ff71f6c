package org.timecoin.ledger;

import static org.timecoin.ledger.BlockRules.addOutputs;
import static org.timecoin.ledger.BlockRules.check;
import static org.timecoin.ledger.LedgerDb.bytea;
import static org.timecoin.ledger.LedgerDb.ints;
import static org.timecoin.ledger.LedgerDb.longs;
import static org.timecoin.ledger.LedgerDb.resolve;
import static org.timecoin.ledger.LedgerDb.spentBy;
import static org.timecoin.ledger.LedgerReads.COUNTED_SUPPLY_SQL;
import static org.timecoin.ledger.LockStore.releaseConflicting;
import static org.timecoin.ledger.ValidatorSetStore.IN_SET;
import static org.timecoin.ledger.ValidatorSetStore.members;
import static org.timecoin.ledger.ValidatorSetStore.storedEpoch;
import static org.timecoin.ledger.ValidatorSetStore.validatorSet;
import static org.timecoin.ledger.ValidatorSetStore.voters;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import org.timecoin.ledger.LedgerDb.Stored;
import org.timecoin.ledger.ValidatorSetStore.StoredEpoch;
import org.timecoin.ledger.core.BlockRejectReason;
import org.timecoin.ledger.core.BlockRejectReason.Refusal;
import org.timecoin.ledger.core.UtxoCommitment;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.model.Block;
import org.timecoin.protocol.model.CommitCertificate;
import org.timecoin.protocol.model.MasternodeActivation;
import org.timecoin.protocol.model.MasternodeRegistration;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.Tier;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxInput;
import org.timecoin.protocol.model.TxOutput;
import org.timecoin.protocol.rules.ReasonCode;
import org.timecoin.protocol.rules.ServiceProof;
import org.timecoin.protocol.rules.ValidatorSet;
import org.timecoin.protocol.stack.StackRecords;

/**
 * The chain: its tip, and finalized blocks applied — each in one database transaction, all or nothing, its writes
 * batched (one statement per kind of change for the whole block: arrays + unnest, never one per UTXO), after the same
 * rules a proposal is checked by ({@link BlockRules}). The crash tests' fault hook lives here, where blocks commit.
 */
@ApplicationScoped
public class ChainStore {
    private static final Logger LOG = Logger.getLogger(ChainStore.class);

    public record Tip(long height, Hash hash, long timestampMillis, long epoch, Hash utxoCommitment) {
    }

    public record Applied(long height, Hash hash, long timestampMillis, Hash utxoCommitment, ValidatorSet nextSet, boolean alreadyApplied) {
    }

    private final LedgerDb db;
    private final long haltBeforeCommitAtHeight;
    private final java.nio.file.Path haltMarker;

    public ChainStore(DataSource dataSource) {
        this(dataSource, -1, java.util.Optional.empty());
    }

    /** With the crash tests' fault settings ({@link LedgerSettings.Fault}). */
    @jakarta.inject.Inject
    public ChainStore(DataSource dataSource, LedgerSettings settings) {
        this(dataSource, settings.fault().haltBeforeCommitHeight(), settings.fault().haltMarker());
    }

    private ChainStore(DataSource dataSource, long haltBeforeCommitAtHeight, java.util.Optional<String> haltMarker) {
        this.db = new LedgerDb(dataSource);
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

    public Optional<Tip> tip() {
        return db.inTransaction(c -> LedgerDb.tip(c, false));
    }

    /**
     * Applies a finalized block in one database transaction: its outputs exist and are confirmed, its inputs are spent
     * at this height, its transactions confirmed, registrations recorded (and masternodes whose collateral it spends
     * removed), conflicting locks released, and the tip, epoch and UTXO commitment moved — all or nothing. A block at
     * or below the applied height is a no-op. {@code certificate} is verified here against the current validator set
     * (null only for genesis, which must be the first block).
     */
    public Applied applyBlock(int chainId, Block block, CommitCertificate certificate) {
        return db.inTransaction(c -> apply(c, chainId, block, certificate));
    }

    /**
     * Applies finalized blocks in order in one database transaction, each as {@link #applyBlock} would — one commit for
     * a run of blocks, as a catching-up node receives them; all or nothing.
     */
    public List<Applied> applyBlocks(int chainId, List<StackRecords.FinalizedBlock> blocks) {
        return db.inTransaction(c -> {
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
        Optional<Tip> tip = LedgerDb.tip(c, true);
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
            if (certificate == null || certificate.verify(chainId, block, set).isPresent()) throw new InvalidBlockException(BlockRejectReason.BAD_COMMIT_CERTIFICATE);
            Optional<Refusal> refusal = check(c, chainId, block, t, set, resolved);
            if (refusal.isPresent()) throw new InvalidBlockException(refusal.get().reason());
        } else if (h != 0) {
            throw new InvalidBlockException(BlockRejectReason.NO_GENESIS);
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

    private static void writeEpoch(Connection c, long epoch, List<ValidatorSet.Member> voters, List<ValidatorSet.Member> jointVoters) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO validator_epoch (epoch, voters, joint_voters) VALUES (?, ?, ?) ON CONFLICT (epoch) DO NOTHING")) {
            ps.setLong(1, epoch);
            ps.setBytes(2, StackRecords.encodeMembers(voters));
            ps.setBytes(3, jointVoters == null ? null : StackRecords.encodeMembers(jointVoters));
            ps.executeUpdate();
        }
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

    /** A block that must not be applied, with the reason. */
    public static final class InvalidBlockException extends RuntimeException {
        private final ReasonCode reason;

        public InvalidBlockException(ReasonCode reason) {
            super(reason.name());
            this.reason = reason;
        }

        public ReasonCode reason() {
            return reason;
        }
    }
}
