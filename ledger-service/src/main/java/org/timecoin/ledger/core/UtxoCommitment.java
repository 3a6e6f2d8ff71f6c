package org.timecoin.ledger.core;

import java.math.BigInteger;

import org.timecoin.protocol.codec.Writer;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.HashTag;
import org.timecoin.protocol.crypto.Hashes;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.TxOutput;

/**
 * A commitment to the confirmed UTXO set that is cheap to update per block: the sum, mod 2^256, of
 * H("TIMECOIN/utxo", outpoint ‖ amount ‖ keyhash) over every UTXO. Adding an output adds its hash, spending subtracts
 * it, so equal sets give equal commitments whatever order they were built in; nodes compare it to detect divergence.
 */
public final class UtxoCommitment {
    private static final BigInteger MODULUS = BigInteger.ONE.shiftLeft(256);
    public static final Hash EMPTY = Hash.ZERO;

    private BigInteger value;

    public UtxoCommitment(Hash start) {
        this.value = new BigInteger(1, start.toByteArray());
    }

    public static Hash utxoHash(OutPoint outPoint, TxOutput output) {
        Writer w = new Writer(68);
        outPoint.write(w);
        output.write(w);
        return Hashes.tagged(HashTag.UTXO, w.toByteArray());
    }

    public void add(OutPoint outPoint, TxOutput output) {
        value = value.add(new BigInteger(1, utxoHash(outPoint, output).toByteArray())).mod(MODULUS);
    }

    public void remove(OutPoint outPoint, TxOutput output) {
        value = value.subtract(new BigInteger(1, utxoHash(outPoint, output).toByteArray())).mod(MODULUS);
    }

    public Hash value() {
        byte[] raw = value.toByteArray();
        byte[] out = new byte[32];
        int copy = Math.min(32, raw.length);
        System.arraycopy(raw, raw.length - copy, out, 32 - copy, copy);
        return new Hash(out);
    }
}
