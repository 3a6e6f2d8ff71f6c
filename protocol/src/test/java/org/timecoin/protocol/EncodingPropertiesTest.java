package org.timecoin.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.KeyHash;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.Block;
import org.timecoin.protocol.model.CommitCertificate;
import org.timecoin.protocol.model.FinalityCertificate;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.PeerAddress;
import org.timecoin.protocol.model.SignedConsensusMessage;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxOutput;
import org.timecoin.protocol.model.TxVerdict;
import org.timecoin.protocol.model.TxVoteBatch;
import org.timecoin.protocol.model.VoteEntry;
import org.timecoin.protocol.rules.ValidatorSet;

/** Round trips for generated objects, and: every single-byte change of a signed object fails decoding or verification. */
class EncodingPropertiesTest {
    private static final int CHAIN = Fixtures.CHAIN;
    private static final KeyPair SIGNER = Fixtures.key("property", 0);

    @Provide
    Arbitrary<Hash> hashes() {
        return Arbitraries.bytes().array(byte[].class).ofSize(32).map(Hash::new);
    }

    @Provide
    Arbitrary<Transaction> transactions() {
        Arbitrary<OutPoint> outPoints = Combinators.combine(hashes(), Arbitraries.integers().between(0, 1999)).as(OutPoint::new);
        Arbitrary<TxOutput> outputs = Combinators.combine(Arbitraries.longs().between(0, Long.MAX_VALUE),
                Arbitraries.bytes().array(byte[].class).ofSize(20)).as((a, k) -> new TxOutput(Amount.sat(a), new KeyHash(k)));
        return Combinators.combine(outPoints.list().ofMaxSize(6), outputs.list().ofMaxSize(6))
                .as((ins, outs) -> Transaction.transfer(ins, outs).signed(CHAIN, ins.stream().map(i -> SIGNER).toList()));
    }

    @Property(tries = 300)
    void transactionsRoundTrip(@ForAll("transactions") Transaction tx) {
        Transaction decoded = Transaction.decode(tx.toBytes());
        assertThat(decoded).isEqualTo(tx);
        assertThat(decoded.txid()).isEqualTo(tx.txid());
        assertThat(decoded.toBytes()).isEqualTo(tx.toBytes());
        assertThat(decoded.encodedSize()).isEqualTo(tx.toBytes().length);
    }

    @Property(tries = 100)
    void blocksRoundTrip(@ForAll("transactions") Transaction a, @ForAll("transactions") Transaction b, @ForAll @IntRange(max = 1000) int round) {
        List<Transaction> txs = List.of(a, b);
        Block block = new Block(new org.timecoin.protocol.model.BlockHeader(CHAIN, 9, a.txid(), Block.merkleRoot(txs), 123, round,
                SIGNER.publicKey()), txs);
        Block decoded = Block.decode(block.toBytes());
        assertThat(decoded).isEqualTo(block);
        assertThat(decoded.hash()).isEqualTo(block.hash());
        assertThat(decoded.merkleRootMatches()).isTrue();
    }

    @Property(tries = 200)
    void voteBatchesRoundTripAndProveEveryEntry(@ForAll("hashes") Hash first, @ForAll @IntRange(min = 1, max = 40) int n) {
        List<VoteEntry> entries = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] b = first.toByteArray();
            b[0] ^= (byte) i;
            b[1] ^= (byte) (i >> 8);
            entries.add(new VoteEntry(new Hash(b), i % 3 == 0 ? TxVerdict.REJECT : TxVerdict.APPROVE));
        }
        TxVoteBatch batch = TxVoteBatch.sign(CHAIN, 4, SIGNER, entries);
        TxVoteBatch decoded = TxVoteBatch.decode(batch.toBytes());
        assertThat(decoded).isEqualTo(batch);
        assertThat(decoded.signatureValid()).isTrue();
        Hash root = TxVoteBatch.entriesRoot(entries);
        for (int i = 0; i < n; i++) {
            assertThat(batch.proofFor(i).branch().rootFrom(entries.get(i).leafHash())).isEqualTo(root);
        }
    }

    @Property(tries = 500)
    void randomBytesNeverCrashADecoder(@ForAll byte[] bytes) {
        for (Function<byte[], ?> decoder : List.<Function<byte[], ?>>of(Transaction::decode, Block::decode, TxVoteBatch::decode,
                SignedConsensusMessage::decode, FinalityCertificate::decode, CommitCertificate::decode, PeerAddress::decode)) {
            try {
                decoder.apply(bytes);
            } catch (ProtocolException expected) {
                // the only acceptable failure
            }
        }
    }

    /** Decoding the mutated bytes must fail, or the decoded object must fail {@code verify}. */
    private static <T> void everyByteMutationFails(byte[] good, Function<byte[], T> decode, Predicate<T> verify, int xorMask) {
        assertThat(verify.test(decode.apply(good))).isTrue();
        for (int i = 0; i < good.length; i++) {
            byte[] bad = good.clone();
            bad[i] ^= (byte) xorMask;
            boolean accepted;
            try {
                accepted = verify.test(decode.apply(bad));
            } catch (ProtocolException e) {
                accepted = false;
            }
            assertThat(accepted).as("mutation at byte %d of %d", i, good.length).isFalse();
        }
    }

    @Property(tries = 10)
    void everyByteOfASignedTransactionMatters(@ForAll @IntRange(min = 1, max = 255) int mask) {
        everyByteMutationFails(Fixtures.transfer().toBytes(), Transaction::decode,
                tx -> org.timecoin.protocol.rules.TransactionRules.checkSignatures(tx, CHAIN).isEmpty(), mask);
    }

    @Property(tries = 10)
    void everyByteOfASignedRegistrationMatters(@ForAll @IntRange(min = 1, max = 255) int mask) {
        everyByteMutationFails(Fixtures.GENESIS.block().transactions().get(1).toBytes(), Transaction::decode,
                tx -> org.timecoin.protocol.rules.TransactionRules.checkSignatures(tx, CHAIN).isEmpty(), mask);
    }

    @Property(tries = 10)
    void everyByteOfAVoteBatchMatters(@ForAll @IntRange(min = 1, max = 255) int mask) {
        everyByteMutationFails(Fixtures.voteBatch(0).toBytes(), TxVoteBatch::decode, TxVoteBatch::signatureValid, mask);
    }

    @Property(tries = 5)
    void everyByteOfConsensusMessagesMatters(@ForAll @IntRange(min = 1, max = 255) int mask) {
        for (SignedConsensusMessage m : List.of(Fixtures.prepare(1, 0, Fixtures.block1().hash()), Fixtures.commit(2), Fixtures.roundChange(3))) {
            everyByteMutationFails(m.toBytes(), SignedConsensusMessage::decode, SignedConsensusMessage::signatureValid, mask);
        }
    }

    @Property(tries = 3)
    void everyByteOfAProposalMatters(@ForAll @IntRange(min = 1, max = 255) int mask) {
        everyByteMutationFails(Fixtures.prePrepare().toBytes(), SignedConsensusMessage::decode, SignedConsensusMessage::signatureValid, mask);
    }

    @Property(tries = 10)
    void everyByteOfCertificatesMatters(@ForAll @IntRange(min = 1, max = 255) int mask) {
        ValidatorSet set = Fixtures.GENESIS.validatorSet();
        Block block = Fixtures.block1();
        everyByteMutationFails(Fixtures.finalityCertificate().toBytes(), FinalityCertificate::decode,
                c -> c.verify(CHAIN, set).isEmpty() && c.txid().equals(Fixtures.transfer().txid()), mask);
        everyByteMutationFails(Fixtures.commitCertificate().toBytes(), CommitCertificate::decode, c -> c.verify(CHAIN, block, set).isEmpty(), mask);
        everyByteMutationFails(Fixtures.peerAddress().toBytes(), PeerAddress::decode, PeerAddress::signatureValid, mask);
    }
}
