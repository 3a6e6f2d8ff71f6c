package org.timecoin.protocol.model;

import org.timecoin.protocol.codec.Reader;
import org.timecoin.protocol.codec.Writer;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.crypto.Signature;

/** public key (32) ‖ signature (64); all zeros while a transaction is unsigned. */
public record Witness(PublicKey key, Signature signature) {
    public static final int LENGTH = PublicKey.LENGTH + Signature.LENGTH;
    public static final Witness EMPTY = new Witness(new PublicKey(new byte[PublicKey.LENGTH]), new Signature(new byte[Signature.LENGTH]));

    public static Witness read(Reader r) {
        return new Witness(PublicKey.read(r), Signature.read(r));
    }

    public void write(Writer w) {
        key.write(w);
        signature.write(w);
    }
}
