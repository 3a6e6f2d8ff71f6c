package org.timecoin.protocol.rules;

import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.Limits;
import org.timecoin.protocol.model.MasternodeActivation;
import org.timecoin.protocol.model.MasternodeRegistration;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.Tier;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxInput;
import org.timecoin.protocol.model.TxOutput;

/**
 * The rules every service can check without the UTXO set. Stateful rules (inputs exist and are unspent, the witness
 * key matches the spent output, the fee) belong to the ledger, which uses {@link #minimumFee} and {@link #checkFee}.
 */
public final class TransactionRules {
    public static final Amount DUST_LIMIT = Amount.sat(546);
    public static final Amount MIN_FEE = Amount.sat(1_000);
    /**
     * Fee rate per encoded byte (witnesses included; they have a fixed size, so a wallet knows the size before it signs).
     * A fee by size, never by value: a share of the outputs charged the change too (12.5 TIME paid from a 1,000,000 TIME
     * coin cost ~1,000 TIME).
     */
    public static final long FEE_SAT_PER_BYTE = 4;

    private TransactionRules() {
    }

    /** Structural rules for a submitted (non-reward) transaction. Cheap: no signature checks. */
    public static Optional<RejectReason> checkStateless(Transaction tx) {
        if (tx.encodedSize() > Limits.MAX_TX_BYTES) return Optional.of(RejectReason.TOO_LARGE);
        if (tx.isReward()) return Optional.of(RejectReason.REWARD_NOT_ALLOWED);
        // an activation moves nothing: no inputs, no outputs, no fee
        if (tx.payload() instanceof MasternodeActivation) {
            return tx.inputs().isEmpty() && tx.outputs().isEmpty() ? Optional.empty() : Optional.of(RejectReason.INVALID_ACTIVATION);
        }
        if (tx.inputs().isEmpty()) return Optional.of(RejectReason.NO_INPUTS);
        boolean isRegistration = tx.payload() instanceof MasternodeRegistration;
        if (tx.outputs().isEmpty() && !isRegistration) return Optional.of(RejectReason.NO_OUTPUTS);
        Set<OutPoint> spent = new HashSet<>();
        for (TxInput in : tx.inputs()) {
            if (!spent.add(in.previous())) return Optional.of(RejectReason.DUPLICATE_INPUT);
        }
        for (TxOutput o : tx.outputs()) {
            if (o.amount().lessThan(DUST_LIMIT)) return Optional.of(RejectReason.DUST_OUTPUT);
        }
        try {
            outputTotal(tx);
        } catch (ProtocolException e) {
            return Optional.of(RejectReason.AMOUNT_OVERFLOW);
        }
        if (tx.payload() instanceof MasternodeRegistration reg) {
            boolean free = reg.tier() == Tier.FREE;
            if (free != reg.collateral().equals(OutPoint.NULL)) return Optional.of(RejectReason.INVALID_REGISTRATION);
            if (free && !reg.ownerWitness().key().equals(reg.nodeKey())) return Optional.of(RejectReason.INVALID_REGISTRATION);
            // spending its own collateral would deregister the node in the block that registers it
            if (spent.contains(reg.collateral())) return Optional.of(RejectReason.COLLATERAL_IN_USE);
        }
        return Optional.empty();
    }

    /** Every input signature and the registration owner's signature (the expensive part; run off event loops). */
    public static Optional<RejectReason> checkSignatures(Transaction tx, int chainId) {
        for (int i = 0; i < tx.inputs().size(); i++) {
            if (!tx.inputSignatureValid(chainId, i)) return Optional.of(RejectReason.BAD_SIGNATURE);
        }
        if (tx.payload() instanceof MasternodeRegistration reg && !reg.signaturesValid(chainId)) {
            return Optional.of(RejectReason.BAD_SIGNATURE);
        }
        if (tx.payload() instanceof MasternodeActivation act && !act.signatureValid(chainId)) return Optional.of(RejectReason.BAD_SIGNATURE);
        return Optional.empty();
    }

    public static Amount outputTotal(Transaction tx) {
        Amount sum = Amount.ZERO;
        for (TxOutput o : tx.outputs()) sum = sum.plus(o.amount());
        return sum;
    }

    /** max(1,000 sat, 4 sat × encoded size): the same for any amounts, so a payment's fee does not depend on its change. */
    public static Amount minimumFee(int encodedSize) {
        if (encodedSize < 0) throw new IllegalArgumentException("negative size");
        return Amount.sat(Math.max(MIN_FEE.sat(), FEE_SAT_PER_BYTE * encodedSize));
    }

    public static Amount minimumFee(Transaction tx) {
        return minimumFee(tx.encodedSize());
    }

    /** Encoded size of a plain transfer with these many inputs and outputs (fixed-size fields only). */
    public static int transferSize(int inputs, int outputs) {
        return 2 + 4 + inputs * (36 + 96) + 4 + outputs * 28;
    }

    /** Given the sum of the spent outputs (known to the ledger): inputs ≥ outputs + the minimum fee for the transaction's size. */
    public static Optional<RejectReason> checkFee(Amount inputTotal, Amount outputTotal, int encodedSize) {
        if (inputTotal.lessThan(outputTotal)) return Optional.of(RejectReason.INPUTS_BELOW_OUTPUTS);
        if (inputTotal.minus(outputTotal).lessThan(minimumFee(encodedSize))) return Optional.of(RejectReason.FEE_TOO_LOW);
        return Optional.empty();
    }
}
