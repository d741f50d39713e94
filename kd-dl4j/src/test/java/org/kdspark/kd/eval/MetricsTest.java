package org.kdspark.kd.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class MetricsTest {

    // two examples, three classes: predictions 0 and 2
    private static final float[] LOGITS = {2f, 0f, 0f, 0f, 1f, 3f};

    @Test
    void accuracyCountsArgmaxHits() {
        assertEquals(0.5, Metrics.accuracy(LOGITS, new int[] {0, 1}), 1e-12);
        assertEquals(1.0, Metrics.accuracy(LOGITS, new int[] {0, 2}), 1e-12);
    }

    @Test
    void nllMatchesHandComputedLogSoftmax() {
        // -log(e^2/(e^2+2)) and -log(e^1/(1+e+e^3))
        double a = -Math.log(Math.exp(2) / (Math.exp(2) + 2));
        double b = -Math.log(Math.E / (1 + Math.E + Math.exp(3)));
        assertEquals((a + b) / 2, Metrics.nll(LOGITS, new int[] {0, 1}), 1e-9);
    }

    @Test
    void eceIsGapBetweenConfidenceAndAccuracyPerBin() {
        double c1 = Math.exp(2) / (Math.exp(2) + 2); // 0.787 -> bin 7 of 10
        double c2 = Math.exp(3) / (1 + Math.E + Math.exp(3)); // 0.844 -> bin 8
        // labels {0, 1}: bin 7 accuracy 1, bin 8 accuracy 0
        double expected = 0.5 * Math.abs(1 - c1) + 0.5 * Math.abs(0 - c2);
        assertEquals(expected, Metrics.expectedCalibrationError(LOGITS, new int[] {0, 1}, 10), 1e-9);
    }

    @Test
    void agreementAndKlAgainstTeacher() {
        float[] teacher = {1f, 0f, 0f, 0f, 5f, 1f}; // predicts 0 and 1
        assertEquals(0.5, Metrics.agreement(LOGITS, teacher, 2), 1e-12);
        assertEquals(0.0, Metrics.klFromTeacher(LOGITS, LOGITS, 2), 1e-12);
        assertEquals(true, Metrics.klFromTeacher(LOGITS, teacher, 2) > 0);
    }

    @Test
    void confusionRowsAreTrueLabels() {
        long[][] m = Metrics.confusion(LOGITS, new int[] {0, 1});
        assertArrayEquals(new long[] {1, 0, 0}, m[0]);
        assertArrayEquals(new long[] {0, 0, 1}, m[1]);
    }

    @Test
    void teacherAgreementSplitsByWhetherTheTeacherWasRight() {
        // student predicts 0, 2, 1, 1; teacher predicts 0, 2, 2, 1; labels 0, 1, 2, 0
        float[] student = {5f, 0f, 0f, 0f, 0f, 5f, 0f, 5f, 0f, 0f, 5f, 0f};
        float[] teacher = {5f, 0f, 0f, 0f, 0f, 5f, 0f, 0f, 5f, 0f, 5f, 0f};
        Metrics.TeacherAgreement a = Metrics.teacherAgreement(student, teacher, new int[] {0, 1, 2, 0});
        // teacher right on examples 0 and 2 (student agrees on 0 only); wrong on 1 and 3 (student agrees on both)
        assertEquals(2, a.teacherRight());
        assertEquals(2, a.teacherWrong());
        assertEquals(0.5, a.whenTeacherRight(), 1e-12);
        assertEquals(1.0, a.whenTeacherWrong(), 1e-12);
        assertEquals(0.75, a.all(), 1e-12);
        assertEquals(Metrics.agreement(student, teacher, 4), a.all(), 1e-12);
        assertEquals(true, Double.isNaN(Metrics.teacherAgreement(teacher, teacher, new int[] {0, 2, 2, 1}).whenTeacherWrong()));
    }
}
