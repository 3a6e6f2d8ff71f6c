package org.timecoin.protocol.genesis;

import java.util.ArrayList;
import java.util.List;

import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.Block;
import org.timecoin.protocol.model.BlockHeader;
import org.timecoin.protocol.model.MasternodeRegistration;
import org.timecoin.protocol.model.Network;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.Tier;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxInput;
import org.timecoin.protocol.model.TxOutput;
import org.timecoin.protocol.model.Witness;
import org.timecoin.protocol.rules.TransactionRules;
import org.timecoin.protocol.rules.ValidatorSet;

/**
 * A devnet chain derived from (seed, node count): the same inputs give the same keys, the same genesis block and the
 * same validator set everywhere, so tests and the devnet launcher build one chain.
 *
 * Genesis block (height 0, previous hash zero, proposer key zero):
 * <ol>
 *   <li>a reward transaction (height 0) paying, in order: each funded test key {@link #FUNDED_AMOUNT}; then for each
 *       masternode its tier's collateral and {@link #REGISTRATION_FUNDING} to the node's owner key;</li>
 *   <li>one registration transaction per masternode, spending its registration funding entirely as fee (fees of the
 *       genesis block are not paid to anyone).</li>
 * </ol>
 * Masternode i listens on {@code host:p2pBasePort + i}.
 */
public final class DevnetGenesis {
    public static final long TIMESTAMP_MILLIS = 1_767_225_600_000L; // 2026-01-01T00:00:00Z
    public static final Amount FUNDED_AMOUNT = Amount.time(1_000_000);
    public static final Amount REGISTRATION_FUNDING = Amount.sat(10_000_000);
    public static final int DEFAULT_FUNDED_KEYS = 10;

    /** One masternode of the genesis: its signing key, the key that owns its collateral, its tier and address. */
    public record Masternode(int index, KeyPair nodeKey, KeyPair ownerKey, Tier tier, String host, int port,
                             OutPoint collateral, MasternodeRegistration registration) {
    }

    private final Network network;
    private final String seed;
    private final List<KeyPair> fundedKeys;
    private final List<Masternode> masternodes;
    private final Block block;

    private DevnetGenesis(Network network, String seed, List<KeyPair> fundedKeys, List<Masternode> masternodes, Block block) {
        this.network = network;
        this.seed = seed;
        this.fundedKeys = fundedKeys;
        this.masternodes = masternodes;
        this.block = block;
    }

    public static DevnetGenesis create(String seed, int nodeCount) {
        return create(seed, nodeCount, DEFAULT_FUNDED_KEYS, Tier.BRONZE, "127.0.0.1", Network.DEVNET.defaultP2pPort());
    }

    public static DevnetGenesis create(String seed, int nodeCount, int fundedKeyCount, Tier tier, String host, int p2pBasePort) {
        if (nodeCount < 1) throw new IllegalArgumentException("need at least one masternode");
        if (tier == Tier.FREE) throw new IllegalArgumentException("genesis masternodes must be able to vote");
        Network network = Network.DEVNET;
        int chainId = network.chainId();
        List<KeyPair> funded = new ArrayList<>();
        List<TxOutput> rewardOutputs = new ArrayList<>();
        for (int i = 0; i < fundedKeyCount; i++) {
            KeyPair k = Ed25519Keys.deterministic(seed, "funded", i);
            funded.add(k);
            rewardOutputs.add(new TxOutput(FUNDED_AMOUNT, k.keyHash()));
        }
        List<KeyPair> nodeKeys = new ArrayList<>();
        List<KeyPair> ownerKeys = new ArrayList<>();
        for (int i = 0; i < nodeCount; i++) {
            nodeKeys.add(Ed25519Keys.deterministic(seed, "masternode", i));
            KeyPair owner = Ed25519Keys.deterministic(seed, "owner", i);
            ownerKeys.add(owner);
            rewardOutputs.add(new TxOutput(tier.collateral(), owner.keyHash()));
            rewardOutputs.add(new TxOutput(REGISTRATION_FUNDING, owner.keyHash()));
        }
        Transaction reward = Transaction.reward(0, rewardOutputs);
        Hash rewardTxid = reward.txid();

        List<Transaction> txs = new ArrayList<>();
        txs.add(reward);
        List<Masternode> masternodes = new ArrayList<>();
        for (int i = 0; i < nodeCount; i++) {
            int collateralIndex = fundedKeyCount + 2 * i;
            OutPoint collateral = new OutPoint(rewardTxid, collateralIndex);
            OutPoint funding = new OutPoint(rewardTxid, collateralIndex + 1);
            KeyPair owner = ownerKeys.get(i);
            MasternodeRegistration reg = new MasternodeRegistration(nodeKeys.get(i).publicKey(), host, p2pBasePort + i,
                    owner.keyHash(), tier, collateral).signedBy(chainId, owner, nodeKeys.get(i));
            Transaction regTx = new Transaction(List.of(TxInput.unsigned(funding)), List.of(), reg)
                    .signed(chainId, List.of(owner));
            if (TransactionRules.checkStateless(regTx).isPresent()) throw new IllegalStateException("genesis registration invalid");
            txs.add(regTx);
            masternodes.add(new Masternode(i, nodeKeys.get(i), owner, tier, host, p2pBasePort + i, collateral, reg));
        }
        BlockHeader header = new BlockHeader(chainId, 0, Hash.ZERO, Block.merkleRoot(txs), TIMESTAMP_MILLIS, 0,
                new PublicKey(new byte[PublicKey.LENGTH]));
        return new DevnetGenesis(network, seed, List.copyOf(funded), List.copyOf(masternodes), new Block(header, txs));
    }

    public Network network() {
        return network;
    }

    public int chainId() {
        return network.chainId();
    }

    public String seed() {
        return seed;
    }

    public List<KeyPair> fundedKeys() {
        return fundedKeys;
    }

    public List<Masternode> masternodes() {
        return masternodes;
    }

    public Block block() {
        return block;
    }

    public Hash hash() {
        return block.hash();
    }

    /** The validators of block 1: the genesis registrations. */
    public ValidatorSet validatorSet() {
        return ValidatorSet.fromRegistrations(1, registrations());
    }

    /** Sum of the UTXOs the genesis block leaves (its reward outputs minus what the registrations paid as fees). */
    public Amount initialSupply() {
        Amount sum = Amount.ZERO;
        for (Transaction tx : block.transactions()) sum = sum.plus(TransactionRules.outputTotal(tx));
        return sum.minus(REGISTRATION_FUNDING.multiply(masternodes.size()));
    }

    /** Masternode registration payloads of the genesis, in index order. */
    public List<MasternodeRegistration> registrations() {
        return masternodes.stream().map(Masternode::registration).toList();
    }
}
