package org.timecoin.ledger;

import static org.timecoin.ledger.LedgerDb.bytea;
import static org.timecoin.ledger.LedgerDb.ints;
import static org.timecoin.ledger.ValidatorSetStore.IN_SET;

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

import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.model.MasternodeActivation;
import org.timecoin.protocol.model.MasternodeRegistration;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxInput;

/**
 * What a registration may not take: node keys registered or claimed, collaterals backing a masternode, and
 * collaterals claimed by a registration pending or final here (which no other transaction may spend meanwhile).
 * Read for a poll's registrations and inputs; the poll adds what it accepts.
 */
final class Claims {
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

    /** A registered masternode's state, as {@link Claims} reads it. */
    static final int INACTIVE = 0, ACTIVE = 1, LEFT = 2;

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

    /** The claims that a poll's registrations, activations and inputs meet, read in the poll's database transaction. */
    static Claims read(Connection c, List<Transaction> txs) throws SQLException {
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
}
