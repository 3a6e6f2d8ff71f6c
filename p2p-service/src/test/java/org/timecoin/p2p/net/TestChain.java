package org.timecoin.p2p.net;

import java.util.ArrayList;
import java.util.List;

import org.timecoin.protocol.codec.Writer;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.genesis.DevnetGenesis;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.Block;
import org.timecoin.protocol.model.BlockHeader;
import org.timecoin.protocol.model.CommitCertificate;
import org.timecoin.protocol.model.ConsensusMessage;
import org.timecoin.protocol.model.SignedConsensusMessage;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.rules.RewardSplit;
import org.timecoin.protocol.rules.ValidatorSet;
import org.timecoin.protocol.wire.WireMessage;

/** A devnet genesis and a chain of real blocks on it, each with a commit certificate signed by 3 of its 4 validators. */
public final class TestChain {
    /** The tests' configuration: the defaults on loopback with fast timers (seconds, not minutes) and room for many loopback peers. */
    static P2pConfig.Builder fastConfig(int listenPort, List<String> seeds) {
        return P2pConfig.builder(org.timecoin.protocol.model.Network.DEVNET).listenHost("127.0.0.1").listenPort(listenPort).seeds(seeds).maxPerIp(32)
                .handshakeTimeoutMillis(5_000).pingIntervalMillis(2_000).deadAfterMillis(6_000).banMillis(60_000).backoffBaseMillis(200)
                .backoffMaxMillis(10_000).discoveryIntervalMillis(2_000);
    }

    public static final DevnetGenesis GENESIS = DevnetGenesis.create("p2p-test", 4);
    static final int CHAIN = GENESIS.chainId();

    public final List<WireMessage.CertifiedBlock> blocks = new ArrayList<>();

    public TestChain(int length) {
        ValidatorSet set = GENESIS.validatorSet();
        Hash previous = GENESIS.hash();
        for (long h = 1; h <= length; h++) {
            PublicKey leader = set.leader(previous, 0);
            List<Transaction> txs = List.of(Transaction.reward(h, RewardSplit.split(RewardSplit.blockReward(Amount.ZERO), set, leader)));
            Block b = new Block(new BlockHeader(CHAIN, h, previous, Block.merkleRoot(txs), DevnetGenesis.TIMESTAMP_MILLIS + h * 1_000, 0, leader), txs);
            List<CommitCertificate.Seal> seals = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                KeyPair k = nodeKey(i);
                seals.add(new CommitCertificate.Seal(k.publicKey(),
                        SignedConsensusMessage.sign(new ConsensusMessage.Commit(CHAIN, h, 0, k.publicKey(), b.hash()), k).signature()));
            }
            blocks.add(new WireMessage.CertifiedBlock(b, new CommitCertificate(CHAIN, h, 0, b.hash(), seals)));
            previous = b.hash();
        }
    }

    public static KeyPair nodeKey(int i) {
        return GENESIS.masternodes().get(i).nodeKey();
    }

    /** The Blocks body for heights [from, from + count) that exist. */
    byte[] body(long from, int count) {
        List<WireMessage.CertifiedBlock> range = blocks.stream().filter(b -> b.block().height() >= from && b.block().height() < from + count).toList();
        Writer w = new Writer(1024);
        new WireMessage.Blocks(range).encodeBody(w);
        return w.toByteArray();
    }
}
