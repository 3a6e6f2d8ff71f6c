package org.timecoin.protocol.crypto;

import java.util.ArrayList;
import java.util.List;

import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.codec.ProtocolException.Reason;
import org.timecoin.protocol.codec.Reader;
import org.timecoin.protocol.codec.Writer;
import org.timecoin.protocol.model.Limits;

/**
 * Binary Merkle tree with tagged inner nodes: node = H("TIMECOIN/merkle", left ‖ right). An unpaired last node is
 * promoted unchanged to the next level (never duplicated, so two different leaf lists cannot share a root the way
 * Bitcoin's duplicated-last-node trees can). The root of no leaves is H("TIMECOIN/merkle", "").
 */
public final class Merkle {
    private Merkle() {
    }

    public static Hash root(List<Hash> leaves) {
        if (leaves.isEmpty()) return Hashes.tagged(HashTag.MERKLE, new byte[0]);
        return new Tree(leaves).root();
    }

    static Hash node(Hash left, Hash right) {
        return Hashes.tagged(HashTag.MERKLE, left.unsafeBytes(), right.unsafeBytes());
    }

    /** The siblings from leaf {@code index} up to the root (levels where the node was promoted have none). */
    public static Branch branch(List<Hash> leaves, int index) {
        return new Tree(leaves).branch(index);
    }

    /** A whole tree kept in memory: the root, and the branch of any leaf in O(log n) (for vote batches). */
    public static final class Tree {
        private final List<List<Hash>> levels = new ArrayList<>();

        public Tree(List<Hash> leaves) {
            if (leaves.isEmpty()) throw new IllegalArgumentException("a tree needs a leaf");
            List<Hash> level = List.copyOf(leaves);
            levels.add(level);
            while (level.size() > 1) {
                List<Hash> next = new ArrayList<>((level.size() + 1) / 2);
                for (int i = 0; i + 1 < level.size(); i += 2) next.add(node(level.get(i), level.get(i + 1)));
                if ((level.size() & 1) == 1) next.add(level.get(level.size() - 1));
                level = next;
                levels.add(level);
            }
        }

        public Hash root() {
            return levels.get(levels.size() - 1).get(0);
        }

        public Branch branch(int index) {
            if (index < 0 || index >= levels.get(0).size()) throw new IllegalArgumentException("leaf index out of range");
            List<Step> steps = new ArrayList<>();
            int i = index;
            for (int l = 0; l + 1 < levels.size(); l++) {
                List<Hash> level = levels.get(l);
                boolean promoted = i == level.size() - 1 && (level.size() & 1) == 1;
                if (!promoted) {
                    boolean isRight = (i & 1) == 1;
                    steps.add(new Step(isRight, level.get(isRight ? i - 1 : i + 1)));
                }
                i /= 2;
            }
            return new Branch(steps);
        }
    }

    /** One level of a branch: the sibling and which side it is on. Encoded u8 side (0 right, 1 left) ‖ hash. */
    public record Step(boolean siblingOnLeft, Hash sibling) {
    }

    /** A Merkle branch: u32 count (≤ 32) ‖ steps. */
    public record Branch(List<Step> steps) {
        public static final Branch EMPTY = new Branch(List.of());

        public Branch {
            if (steps.size() > Limits.MAX_MERKLE_DEPTH) throw new IllegalArgumentException("branch deeper than " + Limits.MAX_MERKLE_DEPTH);
            steps = List.copyOf(steps);
        }

        public Hash rootFrom(Hash leaf) {
            Hash h = leaf;
            for (Step s : steps) h = s.siblingOnLeft ? node(s.sibling, h) : node(h, s.sibling);
            return h;
        }

        public void write(Writer w) {
            w.list(steps, Limits.MAX_MERKLE_DEPTH, (ww, s) -> {
                ww.u8(s.siblingOnLeft ? 1 : 0);
                s.sibling.write(ww);
            });
        }

        public static Branch read(Reader r) {
            return new Branch(r.list(Limits.MAX_MERKLE_DEPTH, rr -> {
                int side = rr.u8();
                if (side > 1) throw new ProtocolException(Reason.INVALID_VALUE, "branch side " + side);
                return new Step(side == 1, Hash.read(rr));
            }));
        }
    }
}
