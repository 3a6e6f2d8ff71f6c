package org.timecoin.ledger.core;

import java.util.List;
import java.util.Optional;

import org.timecoin.protocol.crypto.Hashes;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.MasternodeRegistration;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxOutput;
import org.timecoin.protocol.rules.RejectReason;
import org.timecoin.protocol.rules.TransactionRules;

/**
 * The stateful rules of one transaction once its inputs are resolved (pure: the caller loads the spent outputs):
 * every witness key hashes to its spent output's key hash, a registration's owner holds the collateral, and
 * inputs ≥ outputs + the minimum fee. Returns the fee when the transaction passes.
 */
public final class SpendCheck {
    public record Result(RejectReason reject, Amount fee) {
        public boolean ok() {
            return reject == null;
        }
    }

    private SpendCheck() {
    }

    /** {@code spent.get(i)} is the output spent by input i; {@code collateral} the registration's collateral output, if any. */
    public static Result check(Transaction tx, List<TxOutput> spent, TxOutput collateral) {
        if (spent.size() != tx.inputs().size()) throw new IllegalArgumentException("one spent output per input");
        Amount in = Amount.ZERO;
        for (int i = 0; i < spent.size(); i++) {
            if (!Hashes.keyHash(tx.inputs().get(i).witness().key()).equals(spent.get(i).keyHash())) return new Result(RejectReason.KEY_MISMATCH, null);
            in = in.plus(spent.get(i).amount());
        }
        if (tx.payload() instanceof MasternodeRegistration reg && reg.tier().collateral().sat() > 0) {
            if (collateral == null || !Hashes.keyHash(reg.ownerWitness().key()).equals(collateral.keyHash())
                    || collateral.amount().lessThan(reg.tier().collateral())) {
                return new Result(RejectReason.INVALID_REGISTRATION, null);
            }
        }
        Amount out = TransactionRules.outputTotal(tx);
        Optional<RejectReason> feeProblem = TransactionRules.checkFee(in, out, tx.encodedSize());
        return feeProblem.isPresent() ? new Result(feeProblem.get(), null) : new Result(null, in.minus(out));
    }
}
