package org.timecoin.protocol.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

class RecentSetTest {

    @Test
    void fillingUpDropsOnlyTheOldestGenerationAndAnEntryInUseIsKept() {
        RecentSet<Integer> set = new RecentSet<>(3);
        IntStream.rangeClosed(1, 3).forEach(set::add);
        set.add(4); // [1, 2, 3] become the previous generation: nothing is lost (emptying the set lost all three)
        assertThat(set.contains(2)).as("found in the previous generation: moved to the current one").isTrue();
        set.add(5); // current [4, 2, 5]: full
        set.add(6); // [4, 2, 5] become the previous generation; 1 and 3 are dropped
        assertThat(set.contains(1)).isFalse();
        assertThat(set.contains(3)).isFalse();
        assertThat(set.contains(2)).as("in use, so kept").isTrue();
        assertThat(set.contains(4)).isTrue();
        assertThat(set.contains(6)).isTrue();
    }

    @Test
    void itHoldsTheLastCapacityAddedAndNoMoreThanTwoGenerations() {
        RecentSet<Integer> set = new RecentSet<>(100);
        IntStream.range(0, 10_000).forEach(set::add);
        assertThat(IntStream.range(9_900, 10_000).allMatch(set::contains)).as("the current generation").isTrue();
        assertThat(IntStream.range(0, 9_800).noneMatch(set::contains)).as("older than the previous generation").isTrue();
    }
}
