package org.kdspark.jobs.distill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.kdspark.jobs.config.ConfigException;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.kd.train.EarlyStopping;
import org.kdspark.kd.train.EpochResult;
import org.kdspark.kd.train.LearningRateSchedule.Kind;
import org.kdspark.kd.train.LearningRateSchedule;

/** Learning-rate schedules and early stopping, by hand. */
class TrainingControlsTest {

    @Test
    void schedulesGiveTheRatesOfTheirFormulas() {
        LearningRateSchedule cosine = new LearningRateSchedule(Kind.COSINE, 0.01, 0.001, 5, 2, 0.5);
        // min + (lr - min) * (1 + cos(pi * (e - 1) / 4)) / 2 for e = 1..5
        double[] expected = {0.01, 0.001 + 0.009 * (1 + Math.sqrt(0.5)) / 2, 0.0055, 0.001 + 0.009 * (1 - Math.sqrt(0.5)) / 2, 0.001};
        for (int e = 1; e <= 5; e++) {
            assertEquals(expected[e - 1], cosine.rate(e), 1e-15, "cosine epoch " + e);
        }
        LearningRateSchedule step = new LearningRateSchedule(Kind.STEP, 0.01, 0, 6, 2, 0.5);
        assertEquals(List.of(0.01, 0.01, 0.005, 0.005, 0.0025, 0.0025), rates(step, 6));
        assertEquals(List.of(0.01, 0.01, 0.01), rates(new LearningRateSchedule(Kind.CONSTANT, 0.01, 0, 3, 2, 0.5), 3));
        assertEquals(0.01, new LearningRateSchedule(Kind.COSINE, 0.01, 0, 1, 2, 0.5).rate(1), "one epoch: the base rate");
    }

    @Test
    void earlyStoppingWaitsPatienceEpochsAfterTheBest() {
        EarlyStopping two = new EarlyStopping(2);
        List<EpochResult> history = new ArrayList<>();
        double[] validation = {0.5, 0.7, 0.7, 0.69};
        boolean[] stopAfter = {false, false, false, true};
        for (int e = 1; e <= validation.length; e++) {
            history.add(new EpochResult(e, 1.0, 0.5, validation[e - 1], 0.01, 100, 1));
            assertEquals(stopAfter[e - 1], two.shouldStop(history), "after epoch " + e);
        }
        assertEquals(2, two.bestEpoch(history), "the first of equal best accuracies");
        assertFalse(new EarlyStopping(0).shouldStop(history), "patience 0 never stops");
    }

    @Test
    void configRefusesEarlyStoppingWithoutAValidationSplitAndUnknownSchedules() {
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
                () -> ConfigLoader.load(null, List.of("dataset.path=x", "distill.early_stopping_patience=2", "distill.lr_schedule=linear")));
        assertTrue(e.getMessage().contains("distill.early_stopping_patience") && e.getMessage().contains("validation_fraction"), e.getMessage());
        assertTrue(e.getMessage().contains("distill.lr_schedule") && e.getMessage().contains("cosine"), e.getMessage());
    }

    private static List<Double> rates(LearningRateSchedule s, int epochs) {
        List<Double> out = new ArrayList<>();
        for (int e = 1; e <= epochs; e++) {
            out.add(s.rate(e));
        }
        return out;
    }
}
