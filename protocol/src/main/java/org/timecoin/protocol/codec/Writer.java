package org.timecoin.protocol.codec;

import java.util.Arrays;
import java.util.Collection;
import java.util.function.BiConsumer;

/** Canonical encoder: fixed-width big-endian integers, length-prefixed byte strings and lists. */
public final class Writer {
    private byte[] buf;
    private int size;

    public Writer() {
        this(256);
    }

    public Writer(int initialCapacity) {
        buf = new byte[Math.max(16, initialCapacity)];
    }

    private void ensure(int extra) {
        int need = size + extra;
        if (need > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(need, buf.length * 2));
        }
    }

    public Writer u8(int v) {
        if (v < 0 || v > 0xFF) throw new IllegalArgumentException("u8 out of range: " + v);
        ensure(1);
        buf[size++] = (byte) v;
        return this;
    }

    public Writer u16(int v) {
        if (v < 0 || v > 0xFFFF) throw new IllegalArgumentException("u16 out of range: " + v);
        ensure(2);
        buf[size++] = (byte) (v >>> 8);
        buf[size++] = (byte) v;
        return this;
    }

    /** Unsigned 32-bit value held in a long (0 .. 2^32-1). */
    public Writer u32(long v) {
        if (v < 0 || v > 0xFFFF_FFFFL) throw new IllegalArgumentException("u32 out of range: " + v);
        ensure(4);
        buf[size++] = (byte) (v >>> 24);
        buf[size++] = (byte) (v >>> 16);
        buf[size++] = (byte) (v >>> 8);
        buf[size++] = (byte) v;
        return this;
    }

    /** 64-bit value; callers that mean "unsigned amount" keep it non-negative (checked by the types). */
    public Writer u64(long v) {
        ensure(8);
        for (int shift = 56; shift >= 0; shift -= 8) {
            buf[size++] = (byte) (v >>> shift);
        }
        return this;
    }

    public Writer raw(byte[] bytes) {
        ensure(bytes.length);
        System.arraycopy(bytes, 0, buf, size, bytes.length);
        size += bytes.length;
        return this;
    }

    /** u32 length, then the bytes. */
    public Writer bytes(byte[] bytes, int maxLength) {
        if (bytes.length > maxLength) throw new IllegalArgumentException("byte string longer than " + maxLength);
        u32(bytes.length);
        return raw(bytes);
    }

    /** u16 length, then UTF-8 bytes. */
    public Writer string(String s, int maxBytes) {
        byte[] utf8 = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (utf8.length > maxBytes) throw new IllegalArgumentException("string longer than " + maxBytes + " bytes");
        u16(utf8.length);
        return raw(utf8);
    }

    /** u32 count, then each element. */
    public <T> Writer list(Collection<T> items, int maxCount, BiConsumer<Writer, T> element) {
        if (items.size() > maxCount) throw new IllegalArgumentException("list longer than " + maxCount);
        u32(items.size());
        for (T item : items) element.accept(this, item);
        return this;
    }

    public Writer write(Encodable e) {
        e.encode(this);
        return this;
    }

    public int size() {
        return size;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buf, size);
    }
}
