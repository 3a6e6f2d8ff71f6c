package org.timecoin.ledger;

import static org.timecoin.ledger.BlockRules.check;
import static org.timecoin.ledger.LedgerDb.resolve;
import static org.timecoin.ledger.LedgerDb.spentBy;
import static org.timecoin.ledger.LedgerDb.tip;
import static org.timecoin.ledger.ValidatorSetStore.certificateSet;
import static org.timecoin.ledger.ValidatorSetStore.validatorSet;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;

import org.timecoin.ledger.ChainStore.Tip;
import org.timecoin.ledger.LedgerDb.Stored;
import org.timecoin.ledger.core.BlockOrder;
import org.timecoin.ledger.core.BlockRejectReason;
import org.timecoin.ledger.core.BlockRejectReason.Refusal;
import org.timecoin.ledger.core.ProposalBuilder.Candidate;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.Block;
import org.timecoin.protocol.model.FinalityCertificate;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxInput;
import org.timecoin.protocol.rules.ValidatorSet;

/**
 * Blocks and proposals, as the database sees them: which final transactions a leader may put in its block, and
 * whether a proposed block may be applied (and if not, which transaction is at fault) — without writing anything.
 * Assembling the block from the candidates is pure: {@link org.timecoin.ledger.core.ProposalBuilder}.
 */
@ApplicationScoped
public class ProposalStore {
    private final LedgerDb db;

    public ProposalStore(DataSource dataSource) {
        this.db = new LedgerDb(dataSource);
    }

    /**
     * The certificates this ledger holds for these transactions. Each was verified against the set of the epoch it names
     * before it was written (the one writer is {@link LedgerService#onTxOutcomes}) and epochs' sets never change, so the
     * same bytes verify again: a proposal's certificate equal to the stored one is not verified a second time. The
     * verdict is the one every node reaches; only its cost differs (the Merkle branches and the remembered-signature
     * lookups of every transaction in the block, on the leader's build and every other node's check).
     */
    private static Map<Hash, byte[]> storedCertificates(java.sql.Connection c, List<Transaction> txs) throws java.sql.SQLException {
        Map<Hash, byte[]> stored = new HashMap<>();
        if (txs.isEmpty()) return stored;
        try (PreparedStatement ps = c.prepareStatement("SELECT txid, certificate FROM tx WHERE txid = ANY(?::bytea[]) AND certificate IS NOT NULL")) {
            ps.setArray(1, LedgerDb.bytea(c, txs.stream().map(tx -> tx.txid().toByteArray()).toList()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) stored.put(new Hash(rs.getBytes(1)), rs.getBytes(2));
            }
        }
        return stored;
    }

    /**
     * Why a block may not be applied, naming the transaction at fault (a leader leaves it out rather than propose a block
     * no one takes); empty when it may. Checks against the chain and the UTXO set without writing anything, for
     * proposals before preparing; {@link ChainStore#applyBlock} holds finalized blocks to the same {@link BlockRules}.
     */
    public Optional<Refusal> refusal(int chainId, Block block, List<FinalityCertificate> certificates) {
        return db.inTransaction(c -> {
            Tip t = tip(c, false).orElseThrow(() -> new IllegalStateException("no chain yet"));
            ValidatorSet set = validatorSet(c, t.height() + 1, t.epoch());
            List<Transaction> txs = block.transactions().subList(1, block.transactions().size());
            if (certificates != null) {
                if (certificates.size() != txs.size()) return Optional.of(Refusal.of(BlockRejectReason.MISSING_CERTIFICATE));
                Map<Long, ValidatorSet> byEpoch = new HashMap<>();
                Map<Hash, byte[]> verifiedHere = storedCertificates(c, txs);
                for (int i = 0; i < txs.size(); i++) {
                    FinalityCertificate f = certificates.get(i);
                    // checked against the set of the epoch it names (kept here), whatever changed since
                    ValidatorSet named = byEpoch.containsKey(f.validatorSetHeight()) ? byEpoch.get(f.validatorSetHeight())
                            : certificateSet(c, t, set, f.validatorSetHeight());
                    byEpoch.put(f.validatorSetHeight(), named);
                    if (!f.txid().equals(txs.get(i).txid()) || named == null
                            || !java.util.Arrays.equals(f.toBytes(), verifiedHere.get(f.txid())) && f.verify(chainId, named).isPresent()) {
                        return Optional.of(new Refusal(BlockRejectReason.BAD_FINALITY_CERTIFICATE, txs.get(i).txid()));
                    }
                }
            }
            return check(c, chainId, block, t, set, resolve(c, spentBy(txs), false));
        });
    }

    /**
     * Final transactions not yet in a block, those final longest first (V4__archive_oldest_first.sql), with their fees
     * and certificates, parents before children ({@link BlockOrder}); a transaction spending an unconfirmed output of a
     * transaction that is not among them is left for a later block.
     */
    public List<Candidate> proposalCandidates(int limit) {
        return db.inTransaction(c -> {
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
}
