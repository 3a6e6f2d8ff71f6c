package org.timecoin.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MempoolAdmissionTest {
    static final long MS = 1_000_000;

    @Test
    void beforeAnyReadingEverySubmissionIsAdmittedAndTheFirstReadingIsDueAtOnce() {
        MempoolAdmission m = new MempoolAdmission(500);
        assertThat(m.readingDue(0)).isTrue();
        assertThat(m.readingDue(1)).as("one reading in flight at a time").isFalse();
        for (int i = 0; i < 100; i++) {
            assertThat(m.full()).isFalse();
            m.submitted();
        }
    }

    @Test
    void theSubmissionsSinceTheLastReadingCountUntilTheNextOne() {
        MempoolAdmission m = new MempoolAdmission(500);
        assertThat(m.readingDue(0)).isTrue();
        m.reading(8, 10);
        assertThat(m.full()).isFalse();
        m.submitted();
        assertThat(m.full()).isFalse();
        m.submitted();
        assertThat(m.full()).as("8 pending + 2 submitted since = the bound of 10").isTrue();
        assertThat(m.readingDue(100 * MS)).as("not before the refresh period").isFalse();
        assertThat(m.readingDue(500 * MS)).isTrue();
        m.reading(9, 10); // some became final meanwhile
        assertThat(m.full()).isFalse();
        m.submitted();
        assertThat(m.full()).isTrue();
    }

    @Test
    void aFailedReadingLeavesTheLastOneAndAllowsTheNextAskAfterThePeriod() {
        MempoolAdmission m = new MempoolAdmission(500);
        assertThat(m.readingDue(0)).isTrue();
        m.reading(10, 10);
        assertThat(m.full()).isTrue();
        assertThat(m.readingDue(600 * MS)).isTrue();
        m.readingFailed();
        assertThat(m.full()).as("the last reading stands").isTrue();
        assertThat(m.readingDue(700 * MS)).isFalse();
        assertThat(m.readingDue(1_100 * MS)).isTrue();
        m.reading(0, 10);
        assertThat(m.full()).isFalse();
    }
}
