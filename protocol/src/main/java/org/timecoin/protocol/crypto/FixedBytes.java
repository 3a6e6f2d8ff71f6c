package org.timecoin.protocol.crypto;

import java.util.Arrays;

import org.timecoin.protocol.codec.Hex;

/** Immutable fixed-length byte value (hash, key, signature); compares as unsigned bytes. */
public abstract class FixedBytes implements Comparable<FixedBytes> {
    private final byte[] bytes;
    private final int hash;

    protected FixedBytes(byte[] bytes, int length) {
        if (bytes.length != length) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " needs " + length + " bytes, got " + bytes.length);
        }
        this.bytes = bytes.clone();
        this.hash = Arrays.hashCode(this.bytes);
    }

    public final byte[] toByteArray() {
        return bytes.clone();
    }

    /** No copy: callers must not modify. For hot paths inside the protocol package. */
    final byte[] unsafeBytes() {
        return bytes;
    }

    public final int length() {
        return bytes.length;
    }

    public final String hex() {
        return Hex.encode(bytes);
    }

    @Override
    public final boolean equals(Object o) {
        return o != null && o.getClass() == getClass() && Arrays.equals(bytes, ((FixedBytes) o).bytes);
    }

    @Override
    public final int hashCode() {
        return hash;
    }

    @Override
    public final int compareTo(FixedBytes o) {
        return Arrays.compareUnsigned(bytes, o.bytes);
    }

    @Override
    public String toString() {
        return hex();
    }
}
