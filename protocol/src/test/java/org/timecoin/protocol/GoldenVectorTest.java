package org.timecoin.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.timecoin.protocol.codec.Hex;
import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.crypto.Signature;
import org.timecoin.protocol.model.Address;
import org.timecoin.protocol.model.Block;
import org.timecoin.protocol.model.BlockHeader;
import org.timecoin.protocol.model.CommitCertificate;
import org.timecoin.protocol.model.FinalityCertificate;
import org.timecoin.protocol.model.PeerAddress;
import org.timecoin.protocol.model.SignedConsensusMessage;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxVoteBatch;
import org.timecoin.protocol.rules.ValidatorSet;

/**
 * The golden vectors in src/test/resources/vectors are what another implementation tests against. This test checks
 * (1) that the code still produces exactly those bytes and hashes, and (2) that decoding the stored bytes gives
 * objects whose hashes and signatures match the stored values (the vectors verify themselves, not only the code).
 * Regenerate after an intended protocol change with {@code -Dtimecoin.vectors.update=true}.
 */
class GoldenVectorTest {
    private static final Path DIR = Path.of(System.getProperty("timecoin.vectors.dir", "src/test/resources/vectors"));
    private static final int CHAIN = Fixtures.CHAIN;

    @BeforeAll
    static void maybeUpdate() throws IOException {
        if (!Boolean.getBoolean("timecoin.vectors.update")) return;
        Files.createDirectories(DIR);
        for (var e : Fixtures.vectors().entrySet()) {
            StringBuilder sb = new StringBuilder();
            new TreeMap<>(e.getValue()).forEach((k, v) -> sb.append(k).append(": ").append(v).append('\n'));
            Files.writeString(DIR.resolve(e.getKey() + ".txt"), sb.toString(), StandardCharsets.UTF_8);
        }
    }

    static Map<String, String> read(String name) throws IOException {
        Map<String, String> out = new TreeMap<>();
        for (String line : Files.readAllLines(DIR.resolve(name + ".txt"), StandardCharsets.UTF_8)) {
            if (line.isBlank() || line.startsWith("#")) continue;
            int i = line.indexOf(": ");
            out.put(line.substring(0, i), line.substring(i + 2));
        }
        return out;
    }

    @Test
    void codeProducesTheStoredVectors() throws IOException {
        for (var e : Fixtures.vectors().entrySet()) {
            assertThat(read(e.getKey())).as(e.getKey()).isEqualTo(new TreeMap<>(e.getValue()));
        }
    }

    @Test
    void storedKeysAndAddressesAreConsistent() throws IOException {
        Map<String, String> v = read("keys");
        var key = Ed25519Keys.fromPrivateKey(Hex.decode(v.get("private key")));
        assertThat(key.publicKey().hex()).isEqualTo(v.get("public key"));
        assertThat(key.keyHash().hex()).isEqualTo(v.get("key hash"));
        assertThat(Address.parse(v.get("address mainnet")).keyHash()).isEqualTo(key.keyHash());
        assertThat(v.get("address mainnet")).startsWith("TIME1");
        assertThat(v.get("address testnet")).startsWith("TIME0");
        assertThat(Ed25519Keys.verify(PublicKey.fromHex(v.get("public key")), "abc".getBytes(StandardCharsets.US_ASCII),
                Signature.fromHex(v.get("signature of 'abc'")))).isTrue();
    }

    @Test
    void storedTransactionsDecodeToTheirTxidsAndValidSignatures() throws IOException {
        Map<String, String> v = read("transaction-transfer");
        Transaction tx = Transaction.decode(Hex.decode(v.get("encoding")));
        assertThat(tx.txid().hex()).isEqualTo(v.get("txid"));
        assertThat(tx.outputsHash().hex()).isEqualTo(v.get("outputs hash"));
        assertThat(tx.sighash(CHAIN, 0).hex()).isEqualTo(v.get("sighash 0"));
        assertThat(tx.sighash(CHAIN, 1).hex()).isEqualTo(v.get("sighash 1"));
        assertThat(tx.inputSignatureValid(CHAIN, 0)).isTrue();
        assertThat(tx.inputSignatureValid(CHAIN, 1)).isTrue();
        assertThat(Hex.encode(tx.toBytes())).isEqualTo(v.get("encoding"));

        Map<String, String> r = read("transaction-registration");
        Transaction reg = Transaction.decode(Hex.decode(r.get("encoding")));
        assertThat(reg.txid().hex()).isEqualTo(r.get("txid"));
        assertThat(((org.timecoin.protocol.model.MasternodeRegistration) reg.payload()).signaturesValid(CHAIN)).isTrue();

        Map<String, String> a = read("transaction-activation");
        Transaction act = Transaction.decode(Hex.decode(a.get("encoding")));
        assertThat(act.txid().hex()).isEqualTo(a.get("txid"));
        var activation = (org.timecoin.protocol.model.MasternodeActivation) act.payload();
        assertThat(activation.signingHash(CHAIN).hex()).isEqualTo(a.get("activation signing hash"));
        assertThat(activation.signatureValid(CHAIN)).isTrue();

        Map<String, String> w = read("transaction-reward");
        assertThat(Transaction.decode(Hex.decode(w.get("encoding"))).txid().hex()).isEqualTo(w.get("txid"));
    }

    @Test
    void storedBlocksDecodeToTheirHashes() throws IOException {
        Map<String, String> g = read("genesis-devnet-4");
        Block genesis = Block.decode(Hex.decode(g.get("encoding")));
        assertThat(genesis.hash().hex()).isEqualTo(g.get("hash"));
        assertThat(genesis.merkleRootMatches()).isTrue();

        Map<String, String> b = read("block-1");
        Block block = Block.decode(Hex.decode(b.get("encoding")));
        assertThat(block.hash().hex()).isEqualTo(b.get("hash"));
        assertThat(Hex.encode(BlockHeader.decode(Hex.decode(b.get("header"))).toBytes())).isEqualTo(b.get("header"));
        assertThat(block.header().previousHash().hex()).isEqualTo(g.get("hash"));
        assertThat(block.merkleRootMatches()).isTrue();
    }

    @Test
    void storedVotesAndCertificatesVerify() throws IOException {
        ValidatorSet set = Fixtures.GENESIS.validatorSet();
        TxVoteBatch vb = TxVoteBatch.decode(Hex.decode(read("vote-batch").get("encoding")));
        assertThat(vb.signatureValid()).isTrue();
        assertThat(TxVoteBatch.entriesRoot(vb.entries()).hex()).isEqualTo(read("vote-batch").get("entries root"));

        FinalityCertificate fc = FinalityCertificate.decode(Hex.decode(read("finality-certificate").get("encoding")));
        assertThat(fc.verify(CHAIN, set)).isEmpty();

        Block block = Block.decode(Hex.decode(read("block-1").get("encoding")));
        CommitCertificate cc = CommitCertificate.decode(Hex.decode(read("commit-certificate").get("encoding")));
        assertThat(cc.verify(CHAIN, block, set)).isEmpty();

        PeerAddress pa = PeerAddress.decode(Hex.decode(read("peer-address").get("encoding")));
        assertThat(pa.signatureValid()).isTrue();
        assertThat(pa.signingHash().hex()).isEqualTo(read("peer-address").get("signing hash"));
    }

    @Test
    void storedConsensusMessagesVerify() throws IOException {
        for (String name : new String[] {"consensus-preprepare", "consensus-preprepare-round1", "consensus-prepare", "consensus-commit",
                "consensus-roundchange"}) {
            Map<String, String> v = read(name);
            SignedConsensusMessage m = SignedConsensusMessage.decode(Hex.decode(v.get("encoding")));
            assertThat(m.signatureValid()).as(name).isTrue();
            assertThat(SignedConsensusMessage.signingHash(m.message()).hex()).as(name).isEqualTo(v.get("signing hash"));
            assertThat(Hex.encode(m.toBytes())).as(name).isEqualTo(v.get("encoding"));
        }
    }
}
