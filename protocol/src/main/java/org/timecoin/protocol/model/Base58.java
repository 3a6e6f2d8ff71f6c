package org.timecoin.protocol.model;

import java.math.BigInteger;

import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.codec.ProtocolException.Reason;

/** Bitcoin's Base58 alphabet; leading zero bytes become leading '1's. */
final class Base58 {
    private static final String ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    private static final BigInteger BASE = BigInteger.valueOf(58);

    private Base58() {
    }

    static String encode(byte[] data) {
        StringBuilder sb = new StringBuilder();
        BigInteger n = new BigInteger(1, data);
        while (n.signum() > 0) {
            BigInteger[] qr = n.divideAndRemainder(BASE);
            sb.append(ALPHABET.charAt(qr[1].intValue()));
            n = qr[0];
        }
        for (int i = 0; i < data.length && data[i] == 0; i++) sb.append('1');
        return sb.reverse().toString();
    }

    static byte[] decode(String text) {
        BigInteger n = BigInteger.ZERO;
        for (int i = 0; i < text.length(); i++) {
            int d = ALPHABET.indexOf(text.charAt(i));
            if (d < 0) throw new ProtocolException(Reason.INVALID_ADDRESS, "invalid Base58 character '" + text.charAt(i) + "'");
            n = n.multiply(BASE).add(BigInteger.valueOf(d));
        }
        int leading = 0;
        while (leading < text.length() && text.charAt(leading) == '1') leading++;
        byte[] body = n.signum() == 0 ? new byte[0] : n.toByteArray();
        int skip = body.length > 1 && body[0] == 0 ? 1 : 0; // BigInteger's sign byte
        byte[] out = new byte[leading + body.length - skip];
        System.arraycopy(body, skip, out, leading, body.length - skip);
        return out;
    }
}
