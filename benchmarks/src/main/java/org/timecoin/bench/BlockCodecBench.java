package org.timecoin.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.HashTag;
import org.timecoin.protocol.crypto.Hashes;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.Block;
import org.timecoin.protocol.model.BlockHeader;
import org.timecoin.protocol.model.Network;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxOutput;
import org.timecoin.protocol.rules.TransactionRules;

/**
 * A block of 1,000 signed two-input, two-output transactions: encode, decode (with txids), Merkle root (txids cached
 * and not), and the stateless + signature rules for every transaction. Scores are operations per second on the
 * whole block; multiply by 1,000 for transactions per second.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class BlockCodecBench {
    private static final int CHAIN = Network.DEVNET.chainId();
    private Block block;
    private byte[] encoded;

    @Setup
    public void setup() {
        List<Transaction> txs = new ArrayList<>();
        KeyPair payer = Ed25519Keys.deterministic("bench", "payer", 0);
        KeyPair payee = Ed25519Keys.deterministic("bench", "payee", 0);
        for (int i = 0; i < 1_000; i++) {
            Hash prev = Hashes.tagged(HashTag.TX, new byte[] {(byte) i, (byte) (i >> 8)});
            txs.add(Transaction.transfer(List.of(new OutPoint(prev, 0), new OutPoint(prev, 1)),
                    List.of(new TxOutput(Amount.sat(50_000 + i), payee.keyHash()), new TxOutput(Amount.sat(1_000_000), payer.keyHash())))
                    .signed(CHAIN, List.of(payer, payer)));
        }
        block = new Block(new BlockHeader(CHAIN, 1, Hash.ZERO, Block.merkleRoot(txs), 0, 0, payer.publicKey()), txs);
        encoded = block.toBytes();
    }

    @Benchmark
    public byte[] encode() {
        return block.toBytes();
    }

    @Benchmark
    public Block decode() {
        return Block.decode(encoded);
    }

    @Benchmark
    public Hash decodeAndMerkleRoot() {
        return Block.merkleRoot(Block.decode(encoded).transactions());
    }

    @Benchmark
    public Hash blockHash() {
        return block.hash();
    }

    @Benchmark
    public int validateAllTransactions() {
        int ok = 0;
        for (Transaction tx : block.transactions()) {
            if (TransactionRules.checkStateless(tx).isEmpty() && TransactionRules.checkSignatures(tx, CHAIN).isEmpty()) ok++;
        }
        return ok;
    }
}
