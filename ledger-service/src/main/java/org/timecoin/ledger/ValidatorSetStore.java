package org.timecoin.ledger;

import static org.timecoin.ledger.LedgerDb.tip;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;

import org.timecoin.ledger.ChainStore.Tip;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.KeyHash;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.Tier;
import org.timecoin.protocol.rules.ValidatorSet;
import org.timecoin.protocol.stack.StackRecords;

/**
 * Validator sets and epochs as the ledger keeps them: the set in force for the next block (the masternodes active at
 * that height, with the stored epoch), and an earlier epoch's voters, for the certificates that name it. Reads only:
 * the block apply ({@link ChainStore}) moves them.
 */
@ApplicationScoped
public class ValidatorSetStore {
    private final LedgerDb db;

    public ValidatorSetStore(DataSource dataSource) {
        this.db = new LedgerDb(dataSource);
    }

    /** The validator set for block {@code height} (registrations applied so far), with the stored epoch. */
    public ValidatorSet validatorSet() {
        return db.inTransaction(c -> {
            Tip t = tip(c, false).orElseThrow(() -> new IllegalStateException("no chain yet"));
            return validatorSet(c, t.height() + 1, t.epoch());
        });
    }

    static ValidatorSet validatorSet(Connection c, long height, long epoch) throws SQLException {
        StoredEpoch stored = storedEpoch(c, epoch);
        return new ValidatorSet(height, Math.min(epoch, height), members(c, height), stored == null ? null : stored.jointVoters());
    }

    /** The masternodes in force at {@code height}: activated by a block before the boundary, not removed or expired by then. */
    static List<ValidatorSet.Member> members(Connection c, long height) throws SQLException {
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
    record StoredEpoch(List<ValidatorSet.Member> voters, List<ValidatorSet.Member> jointVoters) {
    }

    static StoredEpoch storedEpoch(Connection c, long epoch) throws SQLException {
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
        return db.inTransaction(c -> {
            Tip t = tip(c, false).orElseThrow(() -> new IllegalStateException("no chain yet"));
            return certificateSet(c, t, validatorSet(c, t.height() + 1, t.epoch()), epoch);
        });
    }

    static ValidatorSet certificateSet(Connection c, Tip t, ValidatorSet current, long epoch) throws SQLException {
        if (epoch == current.epoch()) return current;
        StoredEpoch stored = epoch > current.epoch() ? null : storedEpoch(c, epoch);
        return stored == null ? null : new ValidatorSet(t.height() + 1, epoch, stored.voters(), stored.jointVoters());
    }

    static List<ValidatorSet.Member> voters(List<ValidatorSet.Member> members) {
        return members.stream().filter(m -> m.tier().votingWeight() > 0).toList();
    }

    /** A masternode row that is in the set or on its way in (activated, not expired): its proofs are renewals. */
    static final String IN_SET = "(active_from IS NOT NULL AND expired_from IS NULL)";
}
