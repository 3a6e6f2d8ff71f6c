package org.timecoin.p2p.core;

import org.timecoin.protocol.crypto.Hash;

/**
 * The hashes of the last {@code capacity} relayed messages, so that each is delivered and relayed once.
 *
 * <p>Each hash is kept as its first 128 bits, in a ring (insertion order, for eviction) and an open-addressing table
 * (linear probing, backward-shift deletion), both allocated once: 16 bytes × (capacity + table size), 5.5 MiB for
 * the default 100,000, and no allocation per message. A map of {@link Hash} objects took about 110 bytes per entry and
 * grew until full. 128 bits of SHA-256 leave a collision (a new message taken for a seen one) out of reach.
 */
public final class SeenSet {
    private final int capacity;
    private final long[] ringHi;
    private final long[] ringLo;
    private int oldest;
    private int size;
    private final long[] tableHi;
    private final long[] tableLo;
    private final int mask;

    public SeenSet(int capacity) {
        if (capacity < 1) throw new IllegalArgumentException("capacity must be positive");
        this.capacity = capacity;
        this.ringHi = new long[capacity];
        this.ringLo = new long[capacity];
        int slots = Integer.highestOneBit(capacity + capacity / 3 + 1) << 1; // load at most 3/4, always an empty slot
        this.tableHi = new long[slots];
        this.tableLo = new long[slots];
        this.mask = slots - 1;
    }

    /** True the first time a hash is offered (while it is remembered). */
    public boolean firstTime(Hash h) {
        byte[] b = h.toByteArray();
        long hi = longAt(b, 0);
        long lo = key(hi, longAt(b, 8));
        if (find(hi, lo) >= 0) return false;
        if (size == capacity) {
            remove(ringHi[oldest], ringLo[oldest]);
            size--;
            oldest = (oldest + 1) % capacity;
        }
        int i = home(hi);
        while (!empty(i)) i = (i + 1) & mask;
        tableHi[i] = hi;
        tableLo[i] = lo;
        int newest = (oldest + size) % capacity;
        ringHi[newest] = hi;
        ringLo[newest] = lo;
        size++;
        return true;
    }

    /** Whether a hash is remembered, without offering it. */
    public boolean contains(Hash h) {
        byte[] b = h.toByteArray();
        long hi = longAt(b, 0);
        return find(hi, key(hi, longAt(b, 8))) >= 0;
    }

    private static long key(long hi, long lo) {
        return hi == 0 && lo == 0 ? 1 : lo; // (0, 0) marks an empty slot
    }

    public int size() {
        return size;
    }

    private int find(long hi, long lo) {
        for (int i = home(hi); !empty(i); i = (i + 1) & mask) {
            if (tableHi[i] == hi && tableLo[i] == lo) return i;
        }
        return -1;
    }

    /** Removes by shifting later entries of the probe run back, so that lookups never need tombstones. */
    private void remove(long hi, long lo) {
        int gap = find(hi, lo);
        if (gap < 0) return;
        for (int i = (gap + 1) & mask; !empty(i); i = (i + 1) & mask) {
            int h = home(tableHi[i]);
            // the entry at i may move into the gap only if its home is not cyclically within (gap, i]
            boolean staysPut = gap < i ? gap < h && h <= i : gap < h || h <= i;
            if (staysPut) continue;
            tableHi[gap] = tableHi[i];
            tableLo[gap] = tableLo[i];
            gap = i;
        }
        tableHi[gap] = 0;
        tableLo[gap] = 0;
    }

    private boolean empty(int i) {
        return tableHi[i] == 0 && tableLo[i] == 0;
    }

    private int home(long hi) {
        return (int) (hi ^ (hi >>> 32)) & mask; // SHA-256 bits are uniform already
    }

    private static long longAt(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) v = v << 8 | (b[off + i] & 0xFFL);
        return v;
    }
}
