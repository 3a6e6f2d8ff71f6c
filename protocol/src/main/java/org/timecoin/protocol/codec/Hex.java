package org.timecoin.protocol.codec;

import org.timecoin.protocol.codec.ProtocolException.Reason;

/** Lower-case hex; parsing is strict (even length, hex digits only). */
public final class Hex {
    private static final char[] DIGITS = "0123456789abcdef".toCharArray();

    private Hex() {
    }

    public static String encode(byte[] bytes) {
        char[] out = new char[bytes.length * 2];
        for (int i = 0; i < bytes.length; i++) {
            out[2 * i] = DIGITS[(bytes[i] >> 4) & 0xF];
            out[2 * i + 1] = DIGITS[bytes[i] & 0xF];
        }
        return new String(out);
    }

    public static byte[] decode(String hex) {
        if (hex == null || (hex.length() & 1) != 0) throw new ProtocolException(Reason.INVALID_HEX, "hex string must have an even length");
        byte[] out = new byte[hex.length() / 2];
        for (int i = 0; i < out.length; i++) {
            int hi = digit(hex.charAt(2 * i));
            int lo = digit(hex.charAt(2 * i + 1));
            if (hi < 0 || lo < 0) throw new ProtocolException(Reason.INVALID_HEX, "not a hex digit at position " + (2 * i));
            out[i] = (byte) ((hi << 4) | lo);
        }
        return out;
    }

    // ASCII only: Character.digit would also accept other scripts' digits.
    private static int digit(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }
}
