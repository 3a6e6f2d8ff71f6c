package org.timecoin.protocol;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.timecoin.protocol.codec.Hex;
import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.HashTag;
import org.timecoin.protocol.crypto.Hashes;
import org.timecoin.protocol.crypto.Merkle;
import org.timecoin.protocol.genesis.DevnetGenesis;
import org.timecoin.protocol.model.Address;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.Block;
import org.timecoin.protocol.model.BlockHeader;
import org.timecoin.protocol.model.CommitCertificate;
import org.timecoin.protocol.model.ConsensusMessage;
import org.timecoin.protocol.model.FinalityCertificate;
import org.timecoin.protocol.model.Network;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.PeerAddress;
import org.timecoin.protocol.model.SignedConsensusMessage;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxOutput;
import org.timecoin.protocol.model.TxVerdict;
import org.timecoin.protocol.model.TxVoteBatch;
import org.timecoin.protocol.model.VoteEntry;
import org.timecoin.protocol.rules.RewardSplit;
import org.timecoin.protocol.rules.ValidatorSet;

/**
 * Deterministic protocol objects shared by the tests, and the golden vectors computed from them. Every value is
 * derived from fixed seeds, so the vectors in src/test/resources/vectors are reproducible byte for byte.
 */
public final class Fixtures {
    public static final String SEED = "timecoin-vectors";
    public static final int CHAIN = Network.DEVNET.chainId();
    public static final DevnetGenesis GENESIS = DevnetGenesis.create(SEED, 4);

    private Fixtures() {
    }

    public static KeyPair key(String label, int i) {
        return Ed25519Keys.deterministic(SEED, label, i);
    }

    public static Transaction transfer() {
        KeyPair a = GENESIS.fundedKeys().get(0);
        KeyPair b = GENESIS.fundedKeys().get(1);
        Hash genesisReward = GENESIS.block().transactions().get(0).txid();
        return Transaction.transfer(
                List.of(new OutPoint(genesisReward, 0), new OutPoint(genesisReward, 1)),
                List.of(new TxOutput(Amount.time(1_500), key("payee", 0).keyHash()),
                        new TxOutput(Amount.parseTime("1998498.5"), a.keyHash())))
                .signed(CHAIN, List.of(a, b));
    }

    public static TxVoteBatch voteBatch(int voter) {
        KeyPair k = GENESIS.masternodes().get(voter).nodeKey();
        return TxVoteBatch.sign(CHAIN, 1, k, List.of(
                new VoteEntry(transfer().txid(), TxVerdict.APPROVE),
                new VoteEntry(Hashes.tagged(HashTag.TX, "other".getBytes(StandardCharsets.UTF_8)), TxVerdict.REJECT),
                new VoteEntry(Hashes.tagged(HashTag.TX, "third".getBytes(StandardCharsets.UTF_8)), TxVerdict.APPROVE)));
    }

    public static FinalityCertificate finalityCertificate() {
        return new FinalityCertificate(CHAIN, transfer().txid(), 1,
                List.of(voteBatch(0).proofFor(0), voteBatch(1).proofFor(0), voteBatch(2).proofFor(0)));
    }

    public static Block block1() {
        ValidatorSet set = GENESIS.validatorSet();
        var leader = set.leader(GENESIS.hash(), 0);
        Transaction tx = transfer();
        Amount fee = Amount.time(2_000_000).minus(Amount.time(1_500)).minus(Amount.parseTime("1998498.5"));
        Transaction reward = Transaction.reward(1, RewardSplit.split(RewardSplit.blockReward(fee), set, leader));
        List<Transaction> txs = List.of(reward, tx);
        BlockHeader header = new BlockHeader(CHAIN, 1, GENESIS.hash(), Block.merkleRoot(txs),
                DevnetGenesis.TIMESTAMP_MILLIS + 1_000, 0, leader);
        return new Block(header, txs);
    }

    public static KeyPair nodeKey(int i) {
        return GENESIS.masternodes().get(i).nodeKey();
    }

    public static SignedConsensusMessage prepare(int signer, int round, Hash blockHash) {
        return SignedConsensusMessage.sign(new ConsensusMessage.Prepare(CHAIN, 1, round, nodeKey(signer).publicKey(), blockHash), nodeKey(signer));
    }

    public static SignedConsensusMessage commit(int signer) {
        return SignedConsensusMessage.sign(new ConsensusMessage.Commit(CHAIN, 1, 0, nodeKey(signer).publicKey(), block1().hash()), nodeKey(signer));
    }

    public static SignedConsensusMessage roundChange(int signer) {
        Hash h = block1().hash();
        ConsensusMessage.Prepared prepared = new ConsensusMessage.Prepared(0, h, List.of(prepare(0, 0, h), prepare(1, 0, h), prepare(2, 0, h)));
        return SignedConsensusMessage.sign(new ConsensusMessage.RoundChange(CHAIN, 1, 1, nodeKey(signer).publicKey(), prepared), nodeKey(signer));
    }

    public static SignedConsensusMessage prePrepare() {
        Block b = block1();
        KeyPair leader = GENESIS.masternodes().stream().filter(m -> m.nodeKey().publicKey().equals(b.header().proposer()))
                .findFirst().orElseThrow().nodeKey();
        return SignedConsensusMessage.sign(new ConsensusMessage.PrePrepare(CHAIN, 1, 0, leader.publicKey(), b,
                List.of(finalityCertificate()), List.of()), leader);
    }

    public static SignedConsensusMessage prePrepareRound1() {
        Block b = block1();
        ValidatorSet set = GENESIS.validatorSet();
        var leaderKey = set.leader(GENESIS.hash(), 1);
        KeyPair leader = GENESIS.masternodes().stream().filter(m -> m.nodeKey().publicKey().equals(leaderKey)).findFirst().orElseThrow().nodeKey();
        return SignedConsensusMessage.sign(new ConsensusMessage.PrePrepare(CHAIN, 1, 1, leader.publicKey(), b,
                List.of(finalityCertificate()), List.of(roundChange(0), roundChange(1), roundChange(2))), leader);
    }

    public static CommitCertificate commitCertificate() {
        Block b = block1();
        return new CommitCertificate(CHAIN, 1, 0, b.hash(), List.of(0, 1, 2).stream()
                .map(i -> new CommitCertificate.Seal(nodeKey(i).publicKey(), commit(i).signature())).toList());
    }

    public static PeerAddress peerAddress() {
        return PeerAddress.sign(CHAIN, nodeKey(0), "127.0.0.1", 24200, DevnetGenesis.TIMESTAMP_MILLIS);
    }

    /** Every golden vector: file name → ordered (field → hex or text). */
    public static Map<String, Map<String, String>> vectors() {
        Map<String, Map<String, String>> v = new LinkedHashMap<>();

        Map<String, String> hashes = new LinkedHashMap<>();
        byte[] abc = "abc".getBytes(StandardCharsets.US_ASCII);
        for (HashTag tag : HashTag.values()) hashes.put(tag.text() + " abc", Hashes.tagged(tag, abc).hex());
        hashes.put("empty merkle root", Merkle.root(List.of()).hex());
        for (int n = 1; n <= 5; n++) {
            List<Hash> leaves = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) leaves.add(Hashes.tagged(HashTag.TX, new byte[] {(byte) i}));
            hashes.put("merkle root of " + n + " leaves H(tx, i)", Merkle.root(leaves).hex());
        }
        v.put("hashes", hashes);

        Map<String, String> keys = new LinkedHashMap<>();
        KeyPair k = key("vector", 0);
        keys.put("private key", Hex.encode(k.privateKeyBytes()));
        keys.put("public key", k.publicKey().hex());
        keys.put("key hash", k.keyHash().hex());
        keys.put("address mainnet", Address.of(Network.MAINNET, k.keyHash()).toString());
        keys.put("address testnet", Address.of(Network.TESTNET, k.keyHash()).toString());
        keys.put("signature of 'abc'", k.sign(abc).hex());
        v.put("keys", keys);

        Transaction t = transfer();
        Map<String, String> tx = new LinkedHashMap<>();
        tx.put("encoding", Hex.encode(t.toBytes()));
        tx.put("txid", t.txid().hex());
        tx.put("outputs hash", t.outputsHash().hex());
        tx.put("sighash 0", t.sighash(CHAIN, 0).hex());
        tx.put("sighash 1", t.sighash(CHAIN, 1).hex());
        v.put("transaction-transfer", tx);

        Transaction reg = GENESIS.block().transactions().get(1);
        v.put("transaction-registration", Map.of("encoding", Hex.encode(reg.toBytes()), "txid", reg.txid().hex(),
                "registration signing hash", GENESIS.registrations().get(0).signingHash(CHAIN).hex()));

        var act = org.timecoin.protocol.model.MasternodeActivation.sign(CHAIN, nodeKey(0), 1, block1().hash());
        v.put("transaction-activation", Map.of("encoding", Hex.encode(act.transaction().toBytes()), "txid", act.transaction().txid().hex(),
                "activation signing hash", act.signingHash(CHAIN).hex()));

        Transaction reward = block1().transactions().get(0);
        v.put("transaction-reward", Map.of("encoding", Hex.encode(reward.toBytes()), "txid", reward.txid().hex()));

        Block g = GENESIS.block();
        v.put("genesis-devnet-4", Map.of("encoding", Hex.encode(g.toBytes()), "hash", g.hash().hex(),
                "merkle root", g.header().merkleRoot().hex(), "initial supply sat", Long.toString(GENESIS.initialSupply().sat())));

        Block b = block1();
        v.put("block-1", Map.of("header", Hex.encode(b.header().toBytes()), "encoding", Hex.encode(b.toBytes()), "hash", b.hash().hex()));

        TxVoteBatch vb = voteBatch(0);
        v.put("vote-batch", Map.of("encoding", Hex.encode(vb.toBytes()), "entries root", TxVoteBatch.entriesRoot(vb.entries()).hex(),
                "signing hash", TxVoteBatch.signingHash(CHAIN, 1, vb.voter(), TxVoteBatch.entriesRoot(vb.entries())).hex()));
        v.put("finality-certificate", Map.of("encoding", Hex.encode(finalityCertificate().toBytes())));

        v.put("consensus-preprepare", signedVector(prePrepare()));
        v.put("consensus-preprepare-round1", signedVector(prePrepareRound1()));
        v.put("consensus-prepare", signedVector(prepare(0, 0, b.hash())));
        v.put("consensus-commit", signedVector(commit(0)));
        v.put("consensus-roundchange", signedVector(roundChange(3)));
        v.put("commit-certificate", Map.of("encoding", Hex.encode(commitCertificate().toBytes())));
        PeerAddress pa = peerAddress();
        v.put("peer-address", Map.of("encoding", Hex.encode(pa.toBytes()), "signing hash", pa.signingHash().hex()));
        byte[] n0 = new byte[32];
        byte[] n1 = new byte[32];
        java.util.Arrays.fill(n0, (byte) 0x11);
        java.util.Arrays.fill(n1, (byte) 0x22);
        int magic = Network.DEVNET.magic();
        // ephemeral private keys 33…33 (node 0) and 44…44 (node 1)
        var e0 = org.timecoin.protocol.wire.SecureChannel.Ephemeral.fromPrivate(filled(0x33));
        var e1 = org.timecoin.protocol.wire.SecureChannel.Ephemeral.fromPrivate(filled(0x44));
        var h0 = new org.timecoin.protocol.wire.WireMessage.Hello(2, CHAIN, nodeKey(0).publicKey(), n0, 7, 24200, e0.publicKey());
        var h1 = new org.timecoin.protocol.wire.WireMessage.Hello(2, CHAIN, nodeKey(1).publicKey(), n1, 9, 24201, e1.publicKey());
        Hash transcript = org.timecoin.protocol.wire.WireMessage.transcript(CHAIN, h0, h1);
        var c0 = org.timecoin.protocol.wire.SecureChannel.establish(e0, e1.publicKey(), transcript);
        byte[] auth0 = org.timecoin.protocol.wire.Frames.encode(magic, org.timecoin.protocol.wire.WireMessage.Auth.sign(nodeKey(0), transcript));
        byte[] ping0 = org.timecoin.protocol.wire.Frames.encode(magic, new org.timecoin.protocol.wire.WireMessage.Ping(1, 7));
        v.put("wire-handshake", Map.of(
                "hello frame (node 0)", Hex.encode(org.timecoin.protocol.wire.Frames.encode(magic, h0)),
                "hello frame (node 1)", Hex.encode(org.timecoin.protocol.wire.Frames.encode(magic, h1)),
                "ephemeral public key (node 0)", Hex.encode(e0.publicKey()),
                "transcript", transcript.hex(),
                "auth digest (node 0)", org.timecoin.protocol.wire.WireMessage.authDigest(transcript, nodeKey(0).publicKey()).hex(),
                "auth frame (node 0)", Hex.encode(auth0),
                "sealed auth record (node 0, record 0)", Hex.encode(c0.seal(auth0)),
                "sealed ping record (node 0, record 1)", Hex.encode(c0.seal(ping0)),
                "ping frame", Hex.encode(ping0)));
        return v;
    }

    private static byte[] filled(int b) {
        byte[] x = new byte[32];
        java.util.Arrays.fill(x, (byte) b);
        return x;
    }

    private static Map<String, String> signedVector(SignedConsensusMessage m) {
        return Map.of("encoding", Hex.encode(m.toBytes()), "signing hash", SignedConsensusMessage.signingHash(m.message()).hex());
    }
}
