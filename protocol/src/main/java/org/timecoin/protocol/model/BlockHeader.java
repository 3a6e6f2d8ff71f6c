package org.timecoin.protocol.model;

import org.timecoin.protocol.codec.Encodable;
import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.codec.ProtocolException.Reason;
import org.timecoin.protocol.codec.Reader;
import org.timecoin.protocol.codec.Writer;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.HashTag;
import org.timecoin.protocol.crypto.Hashes;
import org.timecoin.protocol.crypto.PublicKey;

/**
 * u8 version (1) ‖ u32 chain id ‖ u64 height ‖ previous hash ‖ merkle root of txids ‖ u64 timestamp (ms since
 * epoch) ‖ u32 round ‖ proposer key. Block hash = H("TIMECOIN/block", header).
 */
public record BlockHeader(int chainId, long height, Hash previousHash, Hash merkleRoot, long timestampMillis, int round,
                          PublicKey proposer) implements Encodable {
    public static final int VERSION = 1;
    public static final int LENGTH = 1 + 4 + 8 + 32 + 32 + 8 + 4 + 32;

    public BlockHeader {
        if (height < 0 || timestampMillis < 0 || round < 0) throw new IllegalArgumentException("negative header field");
    }

    public Hash hash() {
        return Hashes.tagged(HashTag.BLOCK, toBytes());
    }

    @Override
    public void encode(Writer w) {
        w.u8(VERSION).u32(chainId).u64(height);
        previousHash.write(w);
        merkleRoot.write(w);
        w.u64(timestampMillis).u32(round);
        proposer.write(w);
    }

    public static BlockHeader read(Reader r) {
        int version = r.u8();
        if (version != VERSION) throw new ProtocolException(Reason.UNKNOWN_VERSION, "block header version " + version);
        int chainId = r.u32InRange("chain id", 0, Integer.MAX_VALUE);
        long height = r.u63("height");
        Hash prev = Hash.read(r);
        Hash root = Hash.read(r);
        long ts = r.u63("timestamp");
        int round = r.u32InRange("round", 0, Integer.MAX_VALUE);
        return new BlockHeader(chainId, height, prev, root, ts, round, PublicKey.read(r));
    }

    public static BlockHeader decode(byte[] bytes) {
        return Reader.decodeExactly(bytes, LENGTH, BlockHeader::read);
    }
}
