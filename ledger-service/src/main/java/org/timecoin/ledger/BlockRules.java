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
import java.util.Optional;
import java.util.Set;

import org.timecoin.ledger.ChainStore.Tip;
import org.timecoin.ledger.LedgerDb.Stored;
import org.timecoin.ledger.core.BlockCheck;
import org.timecoin.ledger.core.BlockRejectReason;
import org.timecoin.ledger.core.BlockRejectReason.Refusal;
import org.timecoin.ledger.core.SpendCheck;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.Block;
import org.timecoin.protocol.model.MasternodeActivation;
import org.timecoin.protocol.model.MasternodeRegistration;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxInput;
import org.timecoin.protocol.model.TxOutput;
import org.timecoin.protocol.rules.ReasonCode;
import org.timecoin.protocol.rules.RejectReason;
import org.timecoin.protocol.rules.ServiceProof;
import org.timecoin.protocol.rules.ValidatorSet;

/**
 * The rules a block is held to against the stored chain, UTXO set and masternodes, read in the caller's database
 * transaction, writing nothing. One copy for both paths — a proposal checked before it is prepared
 * ({@link ProposalStore#refusal}) and a finalized block before it is applied ({@link ChainStore#applyBlock}) — so a
 * node judges a block the same way whichever way it came.
 */
final class BlockRules {
    private BlockRules() {
    }

    /** Outputs a block creates, as unspent entries: a transaction may spend outputs of earlier ones in the same block. */
    static void addOutputs(Map<OutPoint, Stored> resolved, Transaction tx) {
        for (int i = 0; i < tx.outputs().size(); i++) {
            OutPoint op = new OutPoint(tx.txid(), i);
            resolved.putIfAbsent(op, new Stored(op, tx.outputs().get(i), UtxoState.UNSPENT, null, null, true));
        }
    }

    /** Empty when the block may be applied; a refusal names the transaction that breaks a rule of its own. */
    static Optional<Refusal> check(Connection c, int chainId, Block block, Tip t, ValidatorSet set, Map<OutPoint, Stored> stored) throws SQLException {
        Map<OutPoint, Stored> resolved = new HashMap<>(stored);
        addOutputs(resolved, block.transactions().get(0));
        // outputs a block may spend: confirmed by earlier blocks, or made earlier in this block (BlockOrder) — never
        // outputs only finality made here, which another node may not have yet
        Set<Hash> earlierInBlock = new HashSet<>(List.of(block.transactions().get(0).txid()));
        List<Transaction> body = block.transactions().subList(1, block.transactions().size());
        Optional<Refusal> registrations = checkRegistrations(c, body, block.height());
        if (registrations.isPresent()) return registrations;
        Amount fees = Amount.ZERO;
        for (Transaction tx : body) {
            if (tx.payload() instanceof MasternodeActivation) { // moves nothing: its rules are checkRegistrations'
                earlierInBlock.add(tx.txid());
                continue;
            }
            List<TxOutput> spent = new ArrayList<>();
            for (TxInput in : tx.inputs()) {
                Stored s = resolved.get(in.previous());
                if (s == null) return refuse(RejectReason.UNKNOWN_INPUT, tx);
                if (!s.confirmed() && !earlierInBlock.contains(in.previous().txid())) return refuse(BlockRejectReason.UNCONFIRMED_INPUT, tx);
                boolean spentElsewhere = (s.state() == UtxoState.SPENT_FINAL || s.state() == UtxoState.SPENT_CONFIRMED) && !tx.txid().equals(s.spentBy());
                if (spentElsewhere || s.state() == UtxoState.SPENT_CONFIRMED) return refuse(RejectReason.INPUT_SPENT, tx);
                spent.add(s.output());
            }
            TxOutput collateral = null;
            if (tx.payload() instanceof MasternodeRegistration r && !r.collateral().equals(OutPoint.NULL)) {
                Stored s = resolved.get(r.collateral());
                if (s == null) return refuse(RejectReason.INVALID_REGISTRATION, tx);
                if (!s.confirmed() && !earlierInBlock.contains(r.collateral().txid())) return refuse(BlockRejectReason.UNCONFIRMED_INPUT, tx);
                if (s.state() == UtxoState.SPENT_CONFIRMED) return refuse(RejectReason.COLLATERAL_IN_USE, tx);
                collateral = s.output();
            }
            SpendCheck.Result result = SpendCheck.check(tx, spent, collateral);
            if (!result.ok()) return refuse(result.reject(), tx);
            fees = fees.plus(result.fee());
            addOutputs(resolved, tx);
            earlierInBlock.add(tx.txid());
        }
        return BlockCheck.check(block, chainId, t.height(), t.hash(), t.timestampMillis(), set, fees).map(Refusal::of);
    }

    /**
     * One collateral, one masternode, as a block rule (a Byzantine leader's block cannot smuggle a second one in): a
     * block's registrations name distinct node keys and collaterals, none registered already, and no transaction of the
     * block spends a collateral one of them names. Empty when they may be applied.
     */
    private static Optional<Refusal> checkRegistrations(Connection c, List<Transaction> body, long height) throws SQLException {
        Optional<Refusal> activations = checkActivations(c, body, height);
        if (activations.isPresent()) return activations;
        Set<PublicKey> keys = new HashSet<>();
        Map<OutPoint, Hash> collaterals = new HashMap<>();
        for (Transaction tx : body) {
            if (!(tx.payload() instanceof MasternodeRegistration r)) continue;
            if (!keys.add(r.nodeKey())) return refuse(RejectReason.NODE_KEY_IN_USE, tx);
            if (!r.collateral().equals(OutPoint.NULL) && collaterals.putIfAbsent(r.collateral(), tx.txid()) != null) return refuse(RejectReason.COLLATERAL_IN_USE, tx);
        }
        if (keys.isEmpty()) return Optional.empty();
        for (Transaction tx : body) {
            for (TxInput in : tx.inputs()) {
                if (!collaterals.containsKey(in.previous())) continue;
                // the registration goes: the spend is the older claim on a block
                return Optional.of(new Refusal(RejectReason.COLLATERAL_IN_USE, collaterals.get(in.previous())));
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
                    boolean byNodeKey = rs.getLong(1) > 0;
                    return Optional.of(new Refusal(byNodeKey ? RejectReason.NODE_KEY_IN_USE : RejectReason.COLLATERAL_IN_USE, registrationNaming(c, body, byNodeKey)));
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Activations as a block rule: each names a node registered by an earlier block and not gone, once in the block, and
     * a block of this chain at most {@link MasternodeActivation#MAX_AGE_IN_BLOCK} below this one; for a node in the set
     * (a renewal) a block far enough above its latest proof ({@link ServiceProof#renews}).
     */
    private static Optional<Refusal> checkActivations(Connection c, List<Transaction> body, long height) throws SQLException {
        Set<PublicKey> seen = new HashSet<>();
        for (Transaction tx : body) {
            if (!(tx.payload() instanceof MasternodeActivation a)) continue;
            if (!seen.add(a.nodeKey())) return refuse(RejectReason.NODE_KEY_IN_USE, tx);
            try (PreparedStatement ps = c.prepareStatement("SELECT removed_from IS NULL, " + IN_SET + ", proven_height FROM masternode WHERE node_key = ?")) {
                ps.setBytes(1, a.nodeKey().toByteArray());
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next() || !rs.getBoolean(1)) return refuse(RejectReason.NOT_REGISTERED, tx);
                    if (rs.getBoolean(2) && !ServiceProof.renews(rs.getLong(3), a.height())) return refuse(RejectReason.ALREADY_ACTIVE, tx);
                }
            }
            if (a.height() >= height || height - a.height() > MasternodeActivation.MAX_AGE_IN_BLOCK) return refuse(RejectReason.STALE_ACTIVATION, tx);
            try (PreparedStatement ps = c.prepareStatement("SELECT hash FROM block WHERE height = ?")) {
                ps.setLong(1, a.height());
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next() || !a.blockHash().equals(new Hash(rs.getBytes(1)))) return refuse(RejectReason.STALE_ACTIVATION, tx);
                }
            }
        }
        return Optional.empty();
    }

    private static Optional<Refusal> refuse(ReasonCode reason, Transaction tx) {
        return Optional.of(new Refusal(reason, tx.txid()));
    }

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
}
