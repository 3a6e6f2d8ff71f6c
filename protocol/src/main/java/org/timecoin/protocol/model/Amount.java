package org.timecoin.protocol.model;

import java.math.BigDecimal;

import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.codec.ProtocolException.Reason;
import org.timecoin.protocol.codec.Reader;
import org.timecoin.protocol.codec.Writer;

/**
 * An amount in sat (1 TIME = 100,000,000 sat). Encoded as u64; values are limited to [0, 2^63-1] so that
 * Java's signed long holds every one, and every sum is overflow-checked.
 */
public record Amount(long sat) implements Comparable<Amount> {
    public static final long SAT_PER_TIME = 100_000_000L;
    public static final Amount ZERO = new Amount(0);

    public Amount {
        if (sat < 0) throw new ProtocolException(Reason.AMOUNT_OUT_OF_RANGE, "negative amount " + sat);
    }

    public static Amount sat(long sat) {
        return new Amount(sat);
    }

    public static Amount time(long wholeTime) {
        return new Amount(mul(wholeTime, SAT_PER_TIME));
    }

    /** Exact decimal TIME text ("12.5") to sat; more than 8 decimals or a negative value is an error. */
    public static Amount parseTime(String text) {
        try {
            BigDecimal sat = new BigDecimal(text).movePointRight(8);
            return new Amount(sat.longValueExact());
        } catch (ArithmeticException | NumberFormatException e) {
            throw new ProtocolException(Reason.AMOUNT_OUT_OF_RANGE, "not an exact TIME amount: " + text);
        }
    }

    public Amount plus(Amount other) {
        try {
            return new Amount(Math.addExact(sat, other.sat));
        } catch (ArithmeticException e) {
            throw new ProtocolException(Reason.AMOUNT_OVERFLOW, sat + " + " + other.sat);
        }
    }

    public Amount minus(Amount other) {
        if (other.sat > sat) throw new ProtocolException(Reason.AMOUNT_OUT_OF_RANGE, sat + " - " + other.sat + " is negative");
        return new Amount(sat - other.sat);
    }

    public Amount multiply(long factor) {
        return new Amount(mul(sat, factor));
    }

    public boolean lessThan(Amount other) {
        return sat < other.sat;
    }

    private static long mul(long a, long b) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            throw new ProtocolException(Reason.AMOUNT_OVERFLOW, a + " * " + b);
        }
    }

    /** "1.00000000" style text, exact. */
    public String toTimeString() {
        return BigDecimal.valueOf(sat, 8).toPlainString();
    }

    public static Amount read(Reader r) {
        long v = r.u64();
        if (v < 0) throw new ProtocolException(Reason.AMOUNT_OUT_OF_RANGE, "amount above 2^63-1");
        return new Amount(v);
    }

    public void write(Writer w) {
        w.u64(sat);
    }

    @Override
    public int compareTo(Amount o) {
        return Long.compare(sat, o.sat);
    }

    @Override
    public String toString() {
        return sat + " sat";
    }
}
