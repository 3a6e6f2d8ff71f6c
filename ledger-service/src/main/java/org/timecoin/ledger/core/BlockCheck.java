package org.timecoin.ledger.core;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.Block;
import org.timecoin.protocol.model.BlockHeader;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.Payload;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxInput;
import org.timecoin.protocol.rules.RewardSplit;
import org.timecoin.protocol.rules.TransactionRules;
import org.timecoin.protocol.rules.ValidatorSet;

/**
 * Whether a block may follow the tip (pure; stateful facts are passed in): parent, height, time, Merkle root, a reward
 * transaction first that pays exactly the split of subsidy + fees, and no transaction or input twice. That each
 * transaction is final (certificate) and its inputs exist is checked by the caller, which knows the UTXO set.
 */
public final class BlockCheck {
    private BlockCheck() {
    }

    /** Empty when valid, else why not. {@code fees} is the sum of the fees of the block's non-reward transactions. */
    public static Optional<BlockRejectReason> check(Block block, int chainId, long tipHeight, Hash tipHash, long tipTimestamp, ValidatorSet set, Amount fees) {
        BlockHeader h = block.header();
        if (h.chainId() != chainId) return Optional.of(BlockRejectReason.WRONG_CHAIN);
        if (h.height() != tipHeight + 1) return Optional.of(BlockRejectReason.WRONG_HEIGHT);
        if (!h.previousHash().equals(tipHash)) return Optional.of(BlockRejectReason.WRONG_PARENT);
        if (h.timestampMillis() <= tipTimestamp) return Optional.of(BlockRejectReason.TIMESTAMP_NOT_AFTER_PARENT);
        if (!block.merkleRootMatches()) return Optional.of(BlockRejectReason.BAD_MERKLE_ROOT);
        List<Transaction> txs = block.transactions();
        if (txs.isEmpty() || !(txs.get(0).payload() instanceof Payload.Reward r) || r.height() != h.height()) return Optional.of(BlockRejectReason.MISSING_REWARD);
        if (!set.isVoter(h.proposer())) return Optional.of(BlockRejectReason.UNKNOWN_PROPOSER);
        if (!txs.get(0).outputs().equals(RewardSplit.split(RewardSplit.blockReward(fees), set, h.proposer()))) return Optional.of(BlockRejectReason.WRONG_REWARD);
        Set<Hash> ids = new HashSet<>();
        Set<OutPoint> spent = new HashSet<>();
        for (Transaction tx : txs.subList(1, txs.size())) {
            if (tx.isReward()) return Optional.of(BlockRejectReason.EXTRA_REWARD);
            if (!ids.add(tx.txid())) return Optional.of(BlockRejectReason.DUPLICATE_TRANSACTION);
            if (TransactionRules.checkStateless(tx).isPresent()) return Optional.of(BlockRejectReason.INVALID_TRANSACTION);
            for (TxInput in : tx.inputs()) if (!spent.add(in.previous())) return Optional.of(BlockRejectReason.DOUBLE_SPEND_IN_BLOCK);
        }
        return Optional.empty();
    }
}
