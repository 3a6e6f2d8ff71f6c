package org.timecoin.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.timecoin.consensus.core.ConsensusCore;
import org.timecoin.consensus.core.CoreConfig;
import org.timecoin.consensus.core.Event;
import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.HashTag;
import org.timecoin.protocol.crypto.Hashes;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.Tier;
import org.timecoin.protocol.model.TxVerdict;
import org.timecoin.protocol.model.TxVoteBatch;
import org.timecoin.protocol.model.VoteEntry;
import org.timecoin.protocol.rules.ValidatorSet;

/**
 * Cost per transaction vote in the consensus core, four validators: three peers' approvals of 1,000 transactions
 * each reach validator 0, which finalizes all 1,000 (building each finality certificate). Scores are per vote.
 * <ul>
 *   <li>{@code tallyOnly}: votes already verified (what the core's single thread spends);</li>
 *   <li>{@code decodeVerifyTally}: from the bytes on the topic: decode, rebuild the batch's Merkle root, one signature
 *       check per batch of 1,000, then tally;</li>
 *   <li>{@code singleVotesDecodeVerifyTally}: the same with one signature per vote (no batching), for comparison.</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class VoteProcessingBench {
    private static final int CHAIN = 3;
    private static final int TXS = 1_000;
    private final List<KeyPair> keys = new ArrayList<>();
    private ValidatorSet set;
    private List<TxVoteBatch> batches;
    private List<byte[]> batchBytes;
    private List<byte[]> singleBytes;
    private ConsensusCore core;

    @Setup(Level.Trial)
    public void votes() {
        List<ValidatorSet.Member> ms = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            KeyPair k = Ed25519Keys.deterministic("bench", "validator", i);
            keys.add(k);
            ms.add(new ValidatorSet.Member(k.publicKey(), Tier.BRONZE, k.keyHash(), OutPoint.NULL));
        }
        set = new ValidatorSet(1, ms);
        List<VoteEntry> entries = new ArrayList<>();
        for (int i = 0; i < TXS; i++) {
            Hash txid = Hashes.tagged(HashTag.TX, new byte[] {(byte) i, (byte) (i >> 8)});
            entries.add(new VoteEntry(txid, TxVerdict.APPROVE));
        }
        batches = new ArrayList<>();
        batchBytes = new ArrayList<>();
        singleBytes = new ArrayList<>();
        for (int v = 1; v < 4; v++) {
            TxVoteBatch b = TxVoteBatch.sign(CHAIN, 1, keys.get(v), entries);
            batches.add(b);
            batchBytes.add(b.toBytes());
            for (VoteEntry e : entries) singleBytes.add(TxVoteBatch.sign(CHAIN, 1, keys.get(v), List.of(e)).toBytes());
        }
    }

    @Setup(Level.Invocation)
    public void freshCore() {
        core = new ConsensusCore(CHAIN, keys.get(0), CoreConfig.defaults());
        core.handle(new Event.BlockApplied(0, Hash.ZERO, 0, set));
    }

    @Benchmark
    @OperationsPerInvocation(3 * TXS)
    public int tallyOnly() {
        int actions = 0;
        for (TxVoteBatch b : batches) actions += core.handle(new Event.VotesVerified(b)).size();
        return actions;
    }

    @Benchmark
    @OperationsPerInvocation(3 * TXS)
    public int decodeVerifyTally() {
        int actions = 0;
        for (byte[] bytes : batchBytes) {
            TxVoteBatch b = TxVoteBatch.decode(bytes);
            if (b.signatureValid()) actions += core.handle(new Event.VotesVerified(b)).size();
        }
        return actions;
    }

    @Benchmark
    @OperationsPerInvocation(3 * TXS)
    public int singleVotesDecodeVerifyTally() {
        int actions = 0;
        for (byte[] bytes : singleBytes) {
            TxVoteBatch b = TxVoteBatch.decode(bytes);
            if (b.signatureValid()) actions += core.handle(new Event.VotesVerified(b)).size();
        }
        return actions;
    }
}
