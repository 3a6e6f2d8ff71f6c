package org.timecoin.protocol.model;

import org.timecoin.protocol.codec.Reader;
import org.timecoin.protocol.codec.Writer;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.HashTag;
import org.timecoin.protocol.crypto.Hashes;

/** txid ‖ u8 verdict; its leaf hash H("TIMECOIN/vote-entry", txid ‖ verdict) goes into the batch's Merkle root. */
public record VoteEntry(Hash txid, TxVerdict verdict) {
    public Hash leafHash() {
        return Hashes.tagged(HashTag.VOTE_ENTRY, txid.toByteArray(), new byte[] {(byte) verdict.code()});
    }

    public static VoteEntry read(Reader r) {
        return new VoteEntry(Hash.read(r), TxVerdict.byCode(r.u8()));
    }

    public void write(Writer w) {
        txid.write(w);
        w.u8(verdict.code());
    }
}
