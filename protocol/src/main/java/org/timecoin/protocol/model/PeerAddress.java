package org.timecoin.protocol.model;

import org.timecoin.protocol.codec.Encodable;
import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.codec.ProtocolException.Reason;
import org.timecoin.protocol.codec.Reader;
import org.timecoin.protocol.codec.Writer;
import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.HashTag;
import org.timecoin.protocol.crypto.Hashes;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.crypto.Signature;

/**
 * A node's network identity as gossiped in PEERADDR: its key and where to reach it, signed by that key so that
 * nobody can announce an address in another node's name. Encoding: u32 chain id ‖ node key ‖ host (u16 len +
 * UTF-8) ‖ u16 port ‖ u64 timestamp (ms) ‖ signature over H("TIMECOIN/peeraddr", everything before it).
 */
public record PeerAddress(int chainId, PublicKey nodeKey, String host, int port, long timestampMillis, Signature signature)
        implements Encodable {

    public static PeerAddress sign(int chainId, KeyPair node, String host, int port, long timestampMillis) {
        PeerAddress unsigned = new PeerAddress(chainId, node.publicKey(), host, port, timestampMillis, Witness.EMPTY.signature());
        return new PeerAddress(chainId, node.publicKey(), host, port, timestampMillis, node.sign(unsigned.signingHash()));
    }

    public Hash signingHash() {
        Writer w = new Writer(96);
        writeUnsigned(w);
        return Hashes.tagged(HashTag.PEER_ADDRESS, w.toByteArray());
    }

    public boolean signatureValid() {
        return Ed25519Keys.verify(nodeKey, signingHash(), signature);
    }

    private void writeUnsigned(Writer w) {
        w.u32(chainId);
        nodeKey.write(w);
        w.string(host, Limits.MAX_HOST_BYTES);
        w.u16(port);
        w.u64(timestampMillis);
    }

    @Override
    public void encode(Writer w) {
        writeUnsigned(w);
        signature.write(w);
    }

    public static PeerAddress read(Reader r) {
        int chainId = r.u32InRange("chain id", 0, Integer.MAX_VALUE);
        PublicKey key = PublicKey.read(r);
        String host = r.string(Limits.MAX_HOST_BYTES);
        if (host.isEmpty()) throw new ProtocolException(Reason.INVALID_VALUE, "empty host");
        int port = r.u16();
        if (port == 0) throw new ProtocolException(Reason.INVALID_VALUE, "port 0");
        return new PeerAddress(chainId, key, host, port, r.u63("timestamp"), Signature.read(r));
    }

    public static PeerAddress decode(byte[] bytes) {
        return Reader.decodeExactly(bytes, Limits.MAX_SMALL_MESSAGE_BYTES, PeerAddress::read);
    }
}
