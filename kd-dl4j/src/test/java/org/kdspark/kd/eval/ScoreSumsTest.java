package org.kdspark.kd.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Sums of parts, merged, give the figures {@link Metrics} computes on all the examples at once. */
class ScoreSumsTest {

    private static final int K = 7;

    @Test
    void mergedPartsGiveTheFiguresOfTheWhole() {
        Random random = new Random(4);
        int n = 1000;
        float[] logits = new float[n * K];
        float[] teacher = new float[n * K];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = random.nextInt(K);
            for (int c = 0; c < K; c++) {
                logits[i * K + c] = (float) (random.nextGaussian() * 2 + (c == labels[i] ? 1.5 : 0));
                teacher[i * K + c] = (float) (random.nextGaussian() * 3 + (c == labels[i] ? 3 : 0));
            }
        }
        // three uneven parts, summed apart and merged in another order
        int[] cuts = {0, 137, 620, n};
        ScoreSums[] parts = new ScoreSums[3];
        for (int p = 0; p < 3; p++) {
            parts[p] = ScoreSums.of(K).add(Arrays.copyOfRange(logits, cuts[p] * K, cuts[p + 1] * K), Arrays.copyOfRange(labels, cuts[p], cuts[p + 1]),
                    Arrays.copyOfRange(teacher, cuts[p] * K, cuts[p + 1] * K));
        }
        ScoreSums merged = ScoreSums.of(K).merge(parts[2]).merge(parts[0]).merge(parts[1]);

        assertEquals(n, merged.examples());
        assertEquals(Metrics.accuracy(logits, labels), merged.accuracy(), 0.0);
        assertEquals(Metrics.nll(logits, labels), merged.nll(), 1e-12);
        assertEquals(Metrics.expectedCalibrationError(logits, labels, Evaluation.ECE_BINS), merged.ece(), 1e-12);
        assertEquals(Metrics.agreement(logits, teacher, n), merged.teacherAgreement(), 0.0);
        assertEquals(Metrics.klFromTeacher(logits, teacher, n), merged.klFromTeacher(), 1e-12);
        Metrics.TeacherAgreement split = Metrics.teacherAgreement(logits, teacher, labels);
        assertEquals(split, merged.agreementSplit());
        long[][] confusion = Metrics.confusion(logits, labels);
        for (int c = 0; c < K; c++) {
            assertArrayEquals(confusion[c], merged.confusion()[c]);
        }
        Metrics.Reliability whole = Metrics.reliability(logits, labels, Evaluation.ECE_BINS);
        assertArrayEquals(whole.counts(), merged.reliability().counts());
        assertArrayEquals(whole.accuracy(), merged.reliability().accuracy(), 1e-12);
        assertArrayEquals(whole.confidence(), merged.reliability().confidence(), 1e-12);
        assertTrue(merged.accuracy() > 1.0 / K, "the logits lean to the label: " + merged.accuracy());
    }

    @Test
    void withoutTeacherLogitsTheTeacherFiguresAreNaNAndBadInputIsRefused() {
        ScoreSums s = ScoreSums.of(2).add(new float[] {1, 0, 0, 1}, new int[] {0, 0}, null);
        assertEquals(0.5, s.accuracy());
        assertTrue(Double.isNaN(s.teacherAgreement()) && Double.isNaN(s.klFromTeacher()));
        assertThrows(IllegalArgumentException.class, () -> ScoreSums.of(2).add(new float[] {1, 0, 0}, new int[] {0, 0}, null));
        assertThrows(IllegalArgumentException.class, () -> ScoreSums.of(2).add(new float[] {1, 0}, new int[] {2}, null));
        assertThrows(IllegalArgumentException.class, () -> ScoreSums.of(2).merge(ScoreSums.of(3)));
    }
}
