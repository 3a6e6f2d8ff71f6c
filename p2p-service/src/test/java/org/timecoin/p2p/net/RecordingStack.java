package org.timecoin.p2p.net;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;

import org.timecoin.p2p.core.AddressBook;
import org.timecoin.protocol.model.Block;
import org.timecoin.protocol.model.CommitCertificate;
import org.timecoin.protocol.model.SignedConsensusMessage;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxVoteBatch;

/** The stack side of a PeerNetwork under test: records what the network delivers, serves blocks from a function. */
final class RecordingStack implements PeerNetwork.Stack {
    final List<Transaction> transactions = new CopyOnWriteArrayList<>();
    final List<SignedConsensusMessage> consensus = new CopyOnWriteArrayList<>();
    /** Arrival time (System.nanoTime) of each consensus message, by its height (benchmarks). */
    final java.util.Map<Long, Long> consensusArrivedAt = new java.util.concurrent.ConcurrentHashMap<>();
    final List<TxVoteBatch> votes = new CopyOnWriteArrayList<>();
    final List<Block> synced = new CopyOnWriteArrayList<>();
    volatile Collection<AddressBook.Entry> savedBook = List.of();
    volatile BiFunction<Long, Integer, byte[]> blocks = (from, count) -> new byte[4];

    public void transaction(Transaction tx) {
        transactions.add(tx);
    }

    public void consensus(SignedConsensusMessage message) {
        consensusArrivedAt.putIfAbsent(message.message().height(), System.nanoTime());
        consensus.add(message);
    }

    public void votes(TxVoteBatch batch) {
        votes.add(batch);
    }

    public void syncedBlock(Block block, CommitCertificate certificate) {
        synced.add(block);
    }

    public CompletionStage<byte[]> certifiedBlocks(long fromHeight, int count) {
        return CompletableFuture.completedFuture(blocks.apply(fromHeight, count));
    }

    public void addressBookChanged(Collection<AddressBook.Entry> entries) {
        savedBook = entries;
    }
}
