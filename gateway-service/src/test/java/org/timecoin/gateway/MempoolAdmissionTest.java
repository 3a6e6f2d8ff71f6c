package org.timecoin.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MempoolAdmissionTest {
    static final long MS = 1_000_000;

    @Test
    void beforeAnyReadingEverySubmissionIsAdmittedAndTheFirstReadingIsDueAtOnce() {
        MempoolAdmission m = new MempoolAdmission(500, 1.0);
        assertThat(m.readingDue(0)).isTrue();
        assertThat(m.readingDue(1)).as("one reading in flight at a time").isFalse();
        for (int i = 0; i < 100; i++) {
            assertThat(m.full(i * MS)).isFalse();
            m.submitted();
        }
    }

    @Test
    void theSubmissionsSinceTheLastReadingCountUntilTheNextOne() {
        MempoolAdmission m = new MempoolAdmission(500, 1.0);
        assertThat(m.readingDue(0)).isTrue();
        m.reading(8, 10);
        assertThat(m.full(10 * MS)).isFalse();
        m.submitted();
        assertThat(m.full(20 * MS)).isFalse();
        m.submitted();
        assertThat(m.full(30 * MS)).as("8 pending + 2 submitted since = the bound of 10").isTrue();
        assertThat(m.readingDue(100 * MS)).as("not before the refresh period").isFalse();
        assertThat(m.readingDue(500 * MS)).isTrue();
        m.reading(9, 10); // some became final meanwhile
        assertThat(m.full(510 * MS)).isFalse();
        m.submitted();
        assertThat(m.full(520 * MS)).isTrue();
    }

    @Test
    void aFailedReadingLeavesTheLastOneAndAllowsTheNextAskAfterThePeriod() {
        MempoolAdmission m = new MempoolAdmission(500, 1.0);
        assertThat(m.readingDue(0)).isTrue();
        m.reading(10, 10);
        assertThat(m.full(10 * MS)).isTrue();
        assertThat(m.readingDue(600 * MS)).isTrue();
        m.readingFailed();
        assertThat(m.full(610 * MS)).as("the last reading stands").isTrue();
        assertThat(m.readingDue(700 * MS)).isFalse();
        assertThat(m.readingDue(1_100 * MS)).isTrue();
        m.reading(0, 10);
        assertThat(m.full(1_110 * MS)).isFalse();
    }

    @Test
    void theEdgeFillsOnlyItsShareOfTheBoundAndLeavesTheRestForPaymentsOtherNodesAdmitted() {
        MempoolAdmission m = new MempoolAdmission(500, 0.5);
        assertThat(m.readingDue(0)).isTrue();
        m.reading(3, 10);
        assertThat(m.full(10 * MS)).isFalse();
        m.submitted();
        assertThat(m.full(20 * MS)).as("3 pending + 1 submitted since, half of the bound of 10 is 5").isFalse();
        m.submitted();
        assertThat(m.full(30 * MS)).as("5 = half the bound: the other 5 are kept for the other nodes' payments").isTrue();
        assertThat(m.readingDue(500 * MS)).isTrue();
        m.reading(7, 10); // the other nodes' payments reached this ledger: still full here, though the ledger has room
        assertThat(m.full(510 * MS)).isTrue();
    }

    @Test
    void aShareOutsideZeroToOneIsRefusedAndATinyBoundStillAdmitsOne() {
        assertThatThrownBy(() -> new MempoolAdmission(500, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new MempoolAdmission(500, 1.5)).isInstanceOf(IllegalArgumentException.class);
        MempoolAdmission m = new MempoolAdmission(500, 0.1);
        assertThat(m.readingDue(0)).isTrue();
        m.reading(0, 5);
        assertThat(m.full(10 * MS)).as("a tenth of 5 rounds down to 0: one is still admitted").isFalse();
        m.submitted();
        assertThat(m.full(20 * MS)).isTrue();
    }

    @Test
    void aReadingLeftFromBeforeAQuietSpellRefusesNothingWhileTheNextOneIsAskedFor() {
        MempoolAdmission m = new MempoolAdmission(500, 1.0);
        assertThat(m.readingDue(0)).isTrue();
        m.reading(10, 10); // the end of a burst: full
        assertThat(m.full(5_000 * MS)).as("still within ten refresh periods of the reading").isTrue();
        assertThat(m.readingDue(5_000 * MS)).isTrue();
        m.readingFailed();
        assertThat(m.full(5_010 * MS)).as("older than ten refresh periods (5 s) and nothing newer").isFalse();
        // nothing was submitted for a minute, so nothing asked; the next submission asks, and is not refused meanwhile
        assertThat(m.readingDue(60_000 * MS)).isTrue();
        assertThat(m.full(60_000 * MS)).isFalse();
        m.reading(10, 10); // the ledger is full after all: its fresh reading refuses again
        assertThat(m.full(60_010 * MS)).isTrue();
    }
}
