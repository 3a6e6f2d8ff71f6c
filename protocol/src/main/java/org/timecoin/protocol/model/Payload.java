package org.timecoin.protocol.model;

import org.timecoin.protocol.codec.Writer;

/** What a transaction does besides moving coins; the kind byte selects one. */
public sealed interface Payload permits Payload.Transfer, Payload.Reward, MasternodeRegistration, MasternodeActivation {
    int KIND_TRANSFER = 0;
    int KIND_REWARD = 1;
    int KIND_MASTERNODE_REGISTRATION = 2;
    int KIND_MASTERNODE_ACTIVATION = 3;

    int kind();

    /** Bytes covered by the txid. */
    void writeBody(Writer w);

    /** Bytes after the input witnesses (outside the txid). */
    void writeWitness(Writer w);

    /** A plain payment. */
    record Transfer() implements Payload {
        public static final Transfer INSTANCE = new Transfer();

        public int kind() {
            return KIND_TRANSFER;
        }

        public void writeBody(Writer w) {
        }

        public void writeWitness(Writer w) {
        }
    }

    /** The block reward (no inputs); the height makes every reward transaction's txid unique. Height 0 is genesis. */
    record Reward(long height) implements Payload {
        public Reward {
            if (height < 0) throw new IllegalArgumentException("negative height");
        }

        public int kind() {
            return KIND_REWARD;
        }

        public void writeBody(Writer w) {
            w.u64(height);
        }

        public void writeWitness(Writer w) {
        }
    }
}
