package org.timecoin.ledger.bench;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;
import org.timecoin.infra.LocalPostgres;
import org.timecoin.ledger.ChainStore;
import org.timecoin.ledger.LedgerReads;
import org.timecoin.ledger.ProposalStore;
import org.timecoin.ledger.UtxoCache;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.HashTag;
import org.timecoin.protocol.crypto.Hashes;
import org.timecoin.protocol.genesis.DevnetGenesis;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.Block;
import org.timecoin.protocol.model.BlockHeader;
import org.timecoin.protocol.model.CommitCertificate;
import org.timecoin.protocol.model.FinalityCertificate;
import org.timecoin.protocol.model.ConsensusMessage;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.SignedConsensusMessage;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxInput;
import org.timecoin.protocol.model.TxOutput;
import org.timecoin.protocol.model.TxVerdict;
import org.timecoin.protocol.model.TxVoteBatch;
import org.timecoin.protocol.model.VoteEntry;
import org.timecoin.protocol.rules.RewardSplit;
import org.timecoin.protocol.rules.TransactionRules;
import org.timecoin.protocol.rules.ValidatorSet;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Ledger benchmarks against a real PostgreSQL 18 (fsync on), printing figures for docs/BENCHMARKS.md. Not a pass/fail
 * test: it runs only with {@code -Dtimecoin.bench=true}:
 * {@code ./mvnw -pl ledger-service -am test -Dtest=LedgerBenchmark -Dsurefire.failIfNoSpecifiedTests=false -Dtimecoin.bench=true}
 */
class LedgerBenchmark {
    static final DevnetGenesis G = DevnetGenesis.create("bench", 4);
    static final int CHAIN = G.chainId();
    static final int PRELOADED = 100_000;

    record Db(PGSimpleDataSource ds, ChainStore chain, ProposalStore proposals, LedgerReads reads) {
    }

    static Db database(LocalPostgres pg, String name) throws Exception {
        pg.dropDatabase(name);
        pg.ensureDatabase(name);
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(pg.jdbcUrl(name));
        ds.setUser(pg.user());
        ds.setPassword(pg.password());
        Flyway.configure().dataSource(ds).locations("classpath:db/migration").load().migrate();
        ChainStore chain = new ChainStore(ds);
        chain.applyBlock(CHAIN, G.block(), null);
        KeyPair owner = G.fundedKeys().get(0);
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("INSERT INTO utxo (txid, idx, amount, key_hash, state, created_height) "
                + "SELECT sha256(int4send(g)), 0, 100000000, ?, 0, 0 FROM generate_series(1, ?) g")) {
            ps.setBytes(1, owner.keyHash().toByteArray());
            ps.setInt(2, PRELOADED);
            ps.executeUpdate();
        }
        try (Connection c = ds.getConnection(); var s = c.createStatement()) {
            s.execute("VACUUM ANALYZE utxo");
        }
        return new Db(ds, chain, new ProposalStore(ds), new LedgerReads(ds));
    }

    static OutPoint preloaded(int i) {
        byte[] be = {(byte) (i >>> 24), (byte) (i >>> 16), (byte) (i >>> 8), (byte) i};
        return new OutPoint(new Hash(Hashes.sha256(be)), 0);
    }

    /** K signed transactions, each spending one preloaded output into two outputs (payee and change). */
    static List<Transaction> transactions(int from, int k) {
        KeyPair owner = G.fundedKeys().get(0);
        KeyPair payee = G.fundedKeys().get(1);
        List<Transaction> out = new ArrayList<>();
        for (int i = from; i < from + k; i++) {
            long fee = TransactionRules.minimumFee(TransactionRules.transferSize(1, 2)).sat();
            out.add(Transaction.transfer(List.of(preloaded(i + 1)), List.of(new TxOutput(Amount.sat(40_000_000), payee.keyHash()),
                    new TxOutput(Amount.sat(60_000_000 - fee), owner.keyHash()))).signed(CHAIN, List.of(owner)));
        }
        return out;
    }

    static Block block(List<Transaction> txs, long feesSat) {
        ValidatorSet set = G.validatorSet();
        var proposer = set.leader(G.hash(), 0);
        List<Transaction> all = new ArrayList<>();
        all.add(Transaction.reward(1, RewardSplit.split(RewardSplit.blockReward(Amount.sat(feesSat)), set, proposer)));
        all.addAll(txs);
        return new Block(new BlockHeader(CHAIN, 1, G.hash(), Block.merkleRoot(all), DevnetGenesis.TIMESTAMP_MILLIS + 1, 0, proposer), all);
    }

    static CommitCertificate certify(Block b) {
        List<CommitCertificate.Seal> seals = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            KeyPair k = G.masternodes().get(i).nodeKey();
            seals.add(new CommitCertificate.Seal(k.publicKey(),
                    SignedConsensusMessage.sign(new ConsensusMessage.Commit(CHAIN, 1, 0, k.publicKey(), b.hash()), k).signature()));
        }
        return new CommitCertificate(CHAIN, 1, 0, b.hash(), seals);
    }

    /** A finality certificate per transaction from masternodes 0–2, whose votes come in batches of {@code batch} transactions. */
    static List<FinalityCertificate> finalityCertificates(List<Transaction> txs, int batch) {
        List<FinalityCertificate> out = new ArrayList<>();
        for (int from = 0; from < txs.size(); from += batch) {
            List<Transaction> slice = txs.subList(from, Math.min(from + batch, txs.size()));
            List<VoteEntry> entries = slice.stream().map(t -> new VoteEntry(t.txid(), TxVerdict.APPROVE)).toList();
            List<TxVoteBatch> votes = new ArrayList<>();
            for (int v = 0; v < 3; v++) votes.add(TxVoteBatch.sign(CHAIN, 1, G.masternodes().get(v).nodeKey(), entries));
            for (int i = 0; i < slice.size(); i++) {
                List<FinalityCertificate.VoteProof> proofs = new ArrayList<>();
                for (TxVoteBatch vote : votes) proofs.add(vote.proofFor(i));
                out.add(new FinalityCertificate(CHAIN, slice.get(i).txid(), 1, proofs));
            }
        }
        return out;
    }

    @Test
    void printFigures() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("timecoin.bench"), "run with -Dtimecoin.bench=true");
        Path dir = Path.of(System.getProperty("timecoin.infra.dir", "target/local-infra")).resolve("bench-" + UUID.randomUUID());
        try (LocalPostgres pg = LocalPostgres.start(dir, java.time.Duration.ofSeconds(60))) {
            int k = Integer.getInteger("bench.k", 10_000);
            List<Transaction> txs = transactions(0, k);
            long fee = TransactionRules.minimumFee(TransactionRules.transferSize(1, 2)).sat();
            Block block = block(txs, fee * k);
            CommitCertificate cert = certify(block);
            AccessPathBenchmark.Changes changes = AccessPathBenchmark.Changes.of(block, G.fundedKeys().get(0).keyHash().toByteArray());
            System.out.printf("block: %d transactions, %d UTXO changes (outputs + inputs + transaction rows), %d bytes%n", k, changes.count(),
                    block.toBytes().length);

            // 1. apply: batched (the ledger's path, checks included) vs one row per statement (no checks), same data, on
            // fresh identical databases; round 1 warms the JIT, the best later round is reported
            int rounds = Integer.getInteger("bench.rounds", 3);
            long batchedNs = Long.MAX_VALUE;
            long naiveNs = Long.MAX_VALUE;
            for (int round = 0; round < rounds; round++) {
                Db batched = database(pg, "bench_batched");
                database(pg, "bench_naive");
                long t0 = System.nanoTime();
                batched.chain().applyBlock(CHAIN, block, cert);
                long b = System.nanoTime() - t0;
                t0 = System.nanoTime();
                AccessPathBenchmark.jdbcRowByRow(pg, "bench_naive", changes);
                long n = System.nanoTime() - t0;
                System.out.printf("apply round %d: batched %.0f ms, one row per statement %.0f ms%n", round + 1, b / 1e6, n / 1e6);
                if (round > 0 || rounds == 1) {
                    batchedNs = Math.min(batchedNs, b);
                    naiveNs = Math.min(naiveNs, n);
                }
            }
            System.out.printf("apply, batched (unnest, with all checks): %.0f ms = %.0f changes/s%n", batchedNs / 1e6, changes.count() / (batchedNs / 1e9));
            System.out.printf("apply, one row per statement (no checks): %.0f ms = %.0f changes/s%n", naiveNs / 1e6, changes.count() / (naiveNs / 1e9));
            System.out.printf("batched / naive speed-up: %.1fx%n", (double) naiveNs / batchedNs);

            if (Boolean.getBoolean("bench.applyOnly")) return;
            // 2. validate a 1,000-transaction block as the service does for a proposal: inputs from PostgreSQL, every
            // stateful rule, and each transaction's finality certificate (3 of 4 voters; votes in batches of 100, as a
            // validator signs one batch per verdict window). Transaction signatures were checked when each was validated
            // and finalized by > 2/3 of the weight: the certificate is what a block check verifies. "Cold" = no vote
            // signature seen before; the full re-verification of every transaction signature is printed beside it.
            Db check = database(pg, "bench_check");
            List<Transaction> thousand = transactions(20_000, 1_000);
            Block b1000 = block(thousand, fee * 1_000);
            List<FinalityCertificate> certificates = finalityCertificates(thousand, 100);
            java.util.concurrent.ExecutorService verifiers = java.util.concurrent.Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
            try {
                for (int run = 0; run < 4; run++) {
                    long s = System.nanoTime();
                    var why = check.proposals().refusal(CHAIN, b1000, certificates);
                    long checkNs = System.nanoTime() - s;
                    long sig = System.nanoTime();
                    List<java.util.concurrent.Future<Boolean>> parts = new ArrayList<>();
                    int cores = Runtime.getRuntime().availableProcessors();
                    for (int part = 0; part < cores; part++) {
                        List<Transaction> share = thousand.subList(part * thousand.size() / cores, (part + 1) * thousand.size() / cores);
                        parts.add(verifiers.submit(() -> share.stream().allMatch(t -> TransactionRules.checkSignatures(t, CHAIN).isEmpty())));
                    }
                    boolean allValid = true;
                    for (var f : parts) allValid &= f.get();
                    long sigs = System.nanoTime() - sig;
                    System.out.printf("validate 1,000-tx block, %s: inputs + rules + finality certificates %.1f ms (%s); re-verifying all 1,000 "
                            + "transaction signatures as well would add %.1f ms on %d threads (%s)%n", run == 0 ? "cold" : "warm run " + run,
                            checkNs / 1e6, why.map(r -> "INVALID " + r.reason().name()).orElse("valid"), sigs / 1e6, cores, allValid ? "all valid" : "INVALID");
                }
            } finally {
                verifiers.shutdown();
            }

            // 3. read cache on skewed workloads: H% of reads go to a hot 1% of 100k outputs, the rest uniformly to all of
            // them; cache of 10k entries. The best any cache can do is about H% + (100-H)% x 10% (the cold reads hit
            // only what the cache happens to hold), so each skew is printed with that ceiling.
            int reads = 200_000;
            Random rnd = new Random(1);
            UtxoCache cache = null;
            for (int hot : new int[] {90, 95, 99}) {
                cache = new UtxoCache(check.reads(), new SimpleMeterRegistry(), 10_000);
                long s = System.nanoTime();
                for (int i = 0; i < reads; i++) {
                    int idx = rnd.nextInt(100) < hot ? rnd.nextInt(1_000) : rnd.nextInt(PRELOADED);
                    cache.get(preloaded(idx + 1));
                }
                long total = System.nanoTime() - s;
                var stats = cacheStats(cache);
                System.out.printf("read cache, %d%% of reads to 1%% of %d outputs, %d reads: hit rate %.1f%% (ceiling ~%.1f%%), average %.1f µs per read "
                        + "(DB misses included)%n", hot, PRELOADED, reads, 100.0 * stats[0] / (stats[0] + stats[1]), hot + (100 - hot) * 0.1, total / 1e3 / reads);
            }
            long s = System.nanoTime();
            for (int i = 0; i < reads; i++) cache.get(preloaded(rnd.nextInt(1_000) + 1));
            System.out.printf("read cache, hot set only: %.2f µs per read%n", (System.nanoTime() - s) / 1e3 / reads);
        }
    }

    /** {hits, misses} from the cache's Caffeine statistics via its metrics. */
    static long[] cacheStats(UtxoCache cache) throws Exception {
        var f = UtxoCache.class.getDeclaredField("cache");
        f.setAccessible(true);
        var stats = ((com.github.benmanes.caffeine.cache.Cache<?, ?>) f.get(cache)).stats();
        return new long[] {stats.hitCount(), stats.missCount()};
    }
}
