package org.kdspark.jobs.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The barrier trainer's round by hand: what a worker sends and how it adopts the mean of a round's sum. It trains in
 * the trainer benchmark's test ({@code ResumeDeterminismAndGuardTest}); the sums themselves are {@link WorkerGroupTest}'s.
 */
class BarrierAveragingTrainerTest {

    private static INDArray row(float... values) {
        return Nd4j.createFromArray(values).reshape(1, values.length);
    }

    @Test
    void aRoundSendsParametersThenUpdaterStateAndAdoptsTheMeanOfTheWorkersThatFitted() {
        assertArrayEquals(new float[] {1, 2, 3, 10, 20}, BarrierAveragingTrainer.Exchange.concat(row(1, 2, 3), row(10, 20)));
        assertArrayEquals(new float[] {1, 2}, BarrierAveragingTrainer.Exchange.concat(row(1, 2), null));
        // two workers fitted: their sum over two
        INDArray params = row(0, 0, 0);
        INDArray state = row(0, 0);
        WorkerGroup.RoundSum round = new WorkerGroup.RoundSum(16, 2, true, new float[] {4, 6, 8, 40, 60});
        assertTrue(BarrierAveragingTrainer.Exchange.adoptMean(round, params, state), "a worker has minibatches left");
        assertArrayEquals(new float[] {2, 3, 4}, params.toFloatVector());
        assertArrayEquals(new float[] {20, 30}, state.toFloatVector());
    }

    @Test
    void theEpochEndsWhenNoWorkerHasMinibatchesLeftAndARoundWithoutFitsChangesNothing() {
        INDArray params = row(5, 6);
        assertFalse(BarrierAveragingTrainer.Exchange.adoptMean(new WorkerGroup.RoundSum(0, 0, false, new float[0]), params, null));
        assertArrayEquals(new float[] {5, 6}, params.toFloatVector());
    }

    @Test
    void workersWithDifferentStudentsAreRefused() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> BarrierAveragingTrainer.Exchange.adoptMean(new WorkerGroup.RoundSum(1, 1, false, new float[] {1, 2, 3}), row(0, 0), null));
        assertTrue(e.getMessage().contains("expected 2"), e.getMessage());
    }
}
