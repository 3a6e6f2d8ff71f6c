package org.timecoin.protocol.model;

import java.util.ArrayList;
import java.util.List;

import org.timecoin.protocol.codec.Encodable;
import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.codec.ProtocolException.Reason;
import org.timecoin.protocol.codec.Reader;
import org.timecoin.protocol.codec.Writer;
import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.HashTag;
import org.timecoin.protocol.crypto.Hashes;

/**
 * A transaction. Encoding:
 * <pre>
 *   u8 version (1) ‖ u8 kind ‖ u32 n ‖ n × OutPoint ‖ u32 m ‖ m × TxOutput ‖ payload body     (covered by the txid)
 *   ‖ n × Witness ‖ payload witness                                                             (witness section)
 * </pre>
 * txid = H("TIMECOIN/tx", bytes before the witness section), so signatures can never change a txid.
 */
public final class Transaction implements Encodable {
    public static final int VERSION = 1;

    private final List<TxInput> inputs;
    private final List<TxOutput> outputs;
    private final Payload payload;
    private volatile Hash txid;
    private volatile Hash outputsHash;
    private volatile int encodedSize = -1;

    public Transaction(List<TxInput> inputs, List<TxOutput> outputs, Payload payload) {
        if (inputs.size() > Limits.MAX_INPUTS) throw new IllegalArgumentException("more than " + Limits.MAX_INPUTS + " inputs");
        if (outputs.size() > Limits.MAX_OUTPUTS) throw new IllegalArgumentException("more than " + Limits.MAX_OUTPUTS + " outputs");
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
        this.payload = payload;
    }

    public static Transaction transfer(List<OutPoint> spends, List<TxOutput> outputs) {
        return new Transaction(spends.stream().map(TxInput::unsigned).toList(), outputs, Payload.Transfer.INSTANCE);
    }

    public static Transaction reward(long height, List<TxOutput> outputs) {
        return new Transaction(List.of(), outputs, new Payload.Reward(height));
    }

    public List<TxInput> inputs() {
        return inputs;
    }

    public List<TxOutput> outputs() {
        return outputs;
    }

    public Payload payload() {
        return payload;
    }

    public boolean isReward() {
        return payload instanceof Payload.Reward;
    }

    public Hash txid() {
        Hash h = txid;
        if (h == null) {
            Writer w = new Writer(64 + inputs.size() * 36 + outputs.size() * 28);
            writeUnsigned(w);
            h = Hashes.tagged(HashTag.TX, w.toByteArray());
            txid = h;
        }
        return h;
    }

    /** Hash of the encoded output list, part of every input's signature message. */
    public Hash outputsHash() {
        Hash h = outputsHash; // computed once: every input's signature message includes it
        if (h == null) {
            Writer w = new Writer(4 + outputs.size() * 28);
            w.list(outputs, Limits.MAX_OUTPUTS, (ww, o) -> o.write(ww));
            h = Hashes.tagged(HashTag.OUTPUTS, w.toByteArray());
            outputsHash = h;
        }
        return h;
    }

    /** H("TIMECOIN/sighash", u32 chain id ‖ txid ‖ u32 input index ‖ H(outputs)). */
    public Hash sighash(int chainId, int inputIndex) {
        Writer w = new Writer(4 + 32 + 4 + 32);
        w.u32(chainId);
        txid().write(w);
        w.u32(inputIndex);
        outputsHash().write(w);
        return Hashes.tagged(HashTag.SIGHASH, w.toByteArray());
    }

    /** Signs input i with keys.get(i). */
    public Transaction signed(int chainId, List<KeyPair> keys) {
        if (keys.size() != inputs.size()) throw new IllegalArgumentException("need one key per input");
        List<TxInput> signed = new ArrayList<>(inputs.size());
        for (int i = 0; i < inputs.size(); i++) {
            KeyPair k = keys.get(i);
            signed.add(new TxInput(inputs.get(i).previous(), new Witness(k.publicKey(), k.sign(sighash(chainId, i)))));
        }
        return new Transaction(signed, outputs, payload);
    }

    /** Signature check of input i (that the key matches the spent output's key hash is a ledger rule). */
    public boolean inputSignatureValid(int chainId, int inputIndex) {
        Witness w = inputs.get(inputIndex).witness();
        return Ed25519Keys.verify(w.key(), sighash(chainId, inputIndex), w.signature());
    }

    public int encodedSize() {
        int s = encodedSize;
        if (s < 0) {
            s = toBytes().length;
            encodedSize = s;
        }
        return s;
    }

    private void writeUnsigned(Writer w) {
        w.u8(VERSION);
        w.u8(payload.kind());
        w.list(inputs, Limits.MAX_INPUTS, (ww, in) -> in.previous().write(ww));
        w.list(outputs, Limits.MAX_OUTPUTS, (ww, o) -> o.write(ww));
        payload.writeBody(w);
    }

    @Override
    public void encode(Writer w) {
        writeUnsigned(w);
        for (TxInput in : inputs) in.witness().write(w);
        payload.writeWitness(w);
    }

    public static Transaction decode(byte[] bytes) {
        return Reader.decodeExactly(bytes, Limits.MAX_TX_BYTES, Transaction::read);
    }

    public static Transaction read(Reader r) {
        int start = r.position();
        int version = r.u8();
        if (version != VERSION) throw new ProtocolException(Reason.UNKNOWN_VERSION, "transaction version " + version);
        int kind = r.u8();
        if (kind > Payload.KIND_MASTERNODE_ACTIVATION) throw new ProtocolException(Reason.UNKNOWN_TYPE, "transaction kind " + kind);
        List<OutPoint> prevouts = r.list(Limits.MAX_INPUTS, OutPoint::read);
        List<TxOutput> outputs = r.list(Limits.MAX_OUTPUTS, TxOutput::read);
        Payload payload = switch (kind) {
            case Payload.KIND_TRANSFER -> Payload.Transfer.INSTANCE;
            case Payload.KIND_REWARD -> new Payload.Reward(r.u63("reward height"));
            case Payload.KIND_MASTERNODE_REGISTRATION -> MasternodeRegistration.readBody(r);
            default -> MasternodeActivation.readBody(r);
        };
        int unsignedEnd = r.position();
        List<TxInput> inputs = new ArrayList<>(prevouts.size());
        for (OutPoint p : prevouts) inputs.add(new TxInput(p, Witness.read(r)));
        if (payload instanceof MasternodeRegistration reg) payload = reg.withWitness(r);
        else if (payload instanceof MasternodeActivation act) payload = act.withWitness(r);
        Transaction tx = new Transaction(inputs, outputs, payload);
        // The txid comes from the bytes as received: no re-encoding on the hot path.
        tx.txid = Hashes.tagged(HashTag.TX, r.slice(start, unsignedEnd));
        tx.encodedSize = r.position() - start;
        return tx;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Transaction t && inputs.equals(t.inputs) && outputs.equals(t.outputs) && payload.equals(t.payload);
    }

    @Override
    public int hashCode() {
        return txid().hashCode();
    }

    @Override
    public String toString() {
        return "Transaction[" + txid().hex() + ", " + inputs.size() + " in, " + outputs.size() + " out, kind " + payload.kind() + "]";
    }
}
