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
import org.timecoin.protocol.crypto.Signature;

/** body ‖ signature over H("TIMECOIN/consensus", body) by the body's signer. */
public record SignedConsensusMessage(ConsensusMessage message, Signature signature) implements Encodable {

    public static SignedConsensusMessage sign(ConsensusMessage message, KeyPair signer) {
        if (!signer.publicKey().equals(message.signer())) throw new IllegalArgumentException("signer key does not match message");
        return new SignedConsensusMessage(message, signer.sign(signingHash(message)));
    }

    public static Hash signingHash(ConsensusMessage message) {
        Writer w = new Writer(128);
        message.writeBody(w);
        return Hashes.tagged(HashTag.CONSENSUS, w.toByteArray());
    }

    public boolean signatureValid() {
        return Ed25519Keys.verify(message.signer(), signingHash(message), signature);
    }

    @Override
    public void encode(Writer w) {
        message.writeBody(w);
        signature.write(w);
    }

    public static SignedConsensusMessage read(Reader r) {
        ConsensusMessage body = ConsensusMessage.readBody(r);
        return new SignedConsensusMessage(body, Signature.read(r));
    }

    /**
     * A message inside another one (RoundChanges in a PrePrepare, Prepares in a RoundChange). The type is checked
     * before decoding, so nesting depth is bounded and crafted input cannot recurse without limit.
     */
    static SignedConsensusMessage readNested(Reader r, int expectedType) {
        int type = r.peekU8(1);
        if (type != expectedType) {
            throw new ProtocolException(Reason.UNKNOWN_TYPE, "nested consensus message of type " + type + ", expected " + expectedType);
        }
        return read(r);
    }

    public static SignedConsensusMessage decode(byte[] bytes) {
        return Reader.decodeExactly(bytes, Limits.MAX_CONSENSUS_MESSAGE_BYTES, SignedConsensusMessage::read);
    }
}
