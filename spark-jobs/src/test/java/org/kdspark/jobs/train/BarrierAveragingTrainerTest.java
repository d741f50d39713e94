package org.kdspark.jobs.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The barrier trainer's exchange by hand: what a round averages and when the epoch ends. It trains in the trainer
 * benchmark's test ({@code ResumeDeterminismAndGuardTest}); its stage and TCP star are the all-reduce trainer's, which
 * that test runs across two executor JVMs.
 */
class BarrierAveragingTrainerTest {

    private static INDArray row(float... values) {
        return Nd4j.createFromArray(values).reshape(1, values.length);
    }

    @Test
    void aRoundAveragesParametersAndUpdaterStateOfTheWorkersThatFitted() {
        java.nio.ByteBuffer a = BarrierAveragingTrainer.Exchange.encode(8, true, row(1, 2, 3), row(10, 20));
        java.nio.ByteBuffer b = BarrierAveragingTrainer.Exchange.encode(8, false, row(3, 4, 5), row(30, 40));
        // a worker out of minibatches this round still sends its (stale) state: it must not pull the average
        java.nio.ByteBuffer idle = BarrierAveragingTrainer.Exchange.encode(0, false, row(100, 100, 100), row(100, 100));
        INDArray params = row(0, 0, 0);
        INDArray state = row(0, 0);
        assertTrue(BarrierAveragingTrainer.Exchange.average(java.util.List.of(a, b, idle), params, state), "worker 0 has minibatches left");
        assertArrayEquals(new float[] {2, 3, 4}, params.toFloatVector());
        assertArrayEquals(new float[] {20, 30}, state.toFloatVector());

        // what task 0 sends back is what the others adopt
        INDArray otherParams = row(0, 0, 0);
        INDArray otherState = row(0, 0);
        assertTrue(BarrierAveragingTrainer.Exchange.adopt(BarrierAveragingTrainer.Exchange.encode(0, true, params, state), otherParams, otherState));
        assertArrayEquals(params.toFloatVector(), otherParams.toFloatVector());
        assertArrayEquals(state.toFloatVector(), otherState.toFloatVector());
    }

    @Test
    void theEpochEndsWhenNoWorkerHasMinibatchesLeftAndARoundWithoutFitsChangesNothing() {
        INDArray params = row(5, 6);
        java.nio.ByteBuffer done = BarrierAveragingTrainer.Exchange.encode(0, false, row(1, 1), null);
        assertFalse(BarrierAveragingTrainer.Exchange.average(java.util.List.of(done, done), params, null));
        assertArrayEquals(new float[] {5, 6}, params.toFloatVector());
    }

    @Test
    void workersWithDifferentStudentsAreRefused() {
        java.nio.ByteBuffer three = BarrierAveragingTrainer.Exchange.encode(1, false, row(1, 2, 3), null);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> BarrierAveragingTrainer.Exchange.average(java.util.List.of(three), row(0, 0), null));
        assertTrue(e.getMessage().contains("expected 2"), e.getMessage());
    }
}
