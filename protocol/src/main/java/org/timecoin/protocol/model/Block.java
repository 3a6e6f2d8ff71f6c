package org.timecoin.protocol.model;

import java.util.List;

import org.timecoin.protocol.codec.Encodable;
import org.timecoin.protocol.codec.Reader;
import org.timecoin.protocol.codec.Writer;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.Merkle;

/** header ‖ u32 count ‖ transactions (the first is the block's reward transaction). */
public record Block(BlockHeader header, List<Transaction> transactions) implements Encodable {
    public Block {
        if (transactions.size() > Limits.MAX_BLOCK_TRANSACTIONS) throw new IllegalArgumentException("too many transactions");
        transactions = List.copyOf(transactions);
    }

    public Hash hash() {
        return header.hash();
    }

    public long height() {
        return header.height();
    }

    public static Hash merkleRoot(List<Transaction> transactions) {
        return Merkle.root(transactions.stream().map(Transaction::txid).toList());
    }

    /** Whether the header's merkle root commits to exactly these transactions. */
    public boolean merkleRootMatches() {
        return merkleRoot(transactions).equals(header.merkleRoot());
    }

    @Override
    public void encode(Writer w) {
        header.encode(w);
        w.list(transactions, Limits.MAX_BLOCK_TRANSACTIONS, (ww, tx) -> tx.encode(ww));
    }

    public static Block read(Reader r) {
        BlockHeader header = BlockHeader.read(r);
        return new Block(header, r.list(Limits.MAX_BLOCK_TRANSACTIONS, Transaction::read));
    }

    public static Block decode(byte[] bytes) {
        return Reader.decodeExactly(bytes, Limits.MAX_BLOCK_BYTES, Block::read);
    }
}
