package org.kdspark.kd.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.zoo.ModelZoo;
import org.kdspark.kd.zoo.OutputHead;
import org.kdspark.kd.zoo.ZooModel;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class PreciseBatchNormTest {

    private static final ZooModel STUDENT = ModelZoo.build("cnn-small", Map.of(), InputSpec.FASHION_MNIST, 10, 3L, OutputHead.softmaxCrossEntropy());

    private static INDArray images(long seed, int n) {
        Nd4j.getRandom().setSeed(seed);
        // far from the initial running statistics (mean 0, variance 1), as trained activations are
        return Nd4j.rand(DataType.FLOAT, n, 1, 28, 28).muli(4).addi(2);
    }

    private static double maxDifference(INDArray a, INDArray b) {
        return a.sub(b).amaxNumber().doubleValue();
    }

    @Test
    void fromOneBatchInferenceNormalisesAsTrainingDoesOnThatBatch() {
        ComputationGraph net = STUDENT.init();
        INDArray x = images(1, 32);
        INDArray training = net.output(true, x)[0];
        double before = maxDifference(training, net.output(false, x)[0]);
        assertTrue(before > 1e-2, "the control: the initial running statistics do not fit these images (" + before + ")");

        assertTrue(PreciseBatchNorm.applies(net));
        assertEquals(3, PreciseBatchNorm.recompute(net, List.of(x)), "cnn-small's three batch-norm layers");
        double after = maxDifference(training, net.output(false, x)[0]);
        assertTrue(after < 1e-4, "inference with the recomputed statistics is training mode on the same batch: " + after);
    }

    @Test
    void theStatisticsRunOverEveryValueOfEveryBatch() {
        ComputationGraph net = STUDENT.init();
        INDArray a = images(2, 16);
        INDArray b = images(3, 24);
        PreciseBatchNorm.recompute(net, List.of(a, b));
        // the first layer's inputs do not depend on any batch norm: its statistics are those of both batches together
        INDArray conv = net.feedForward(new INDArray[] {Nd4j.concat(0, a, b)}, true, true).get("block1_conv1_conv");
        INDArray mean = conv.mean(0, 2, 3);
        INDArray var = conv.var(false, 0, 2, 3);
        INDArray runningMean = net.getLayer("block1_conv1_bn").getParam("mean").reshape(mean.shape());
        INDArray log10Std = net.getLayer("block1_conv1_bn").getParam("log10stdev").reshape(var.shape());
        assertTrue(maxDifference(mean, runningMean) < 1e-4 * Math.max(1, mean.amaxNumber().doubleValue()), runningMean + " vs " + mean);
        INDArray runningVar = Nd4j.math().pow(Nd4j.valueArrayOf(log10Std.shape(), 10.0, DataType.FLOAT), log10Std.mul(2));
        assertTrue(maxDifference(var, runningVar) < 1e-3 * var.amaxNumber().doubleValue(), runningVar + " vs " + var);
    }

    @Test
    void aNetworkWithoutBatchNormHasNothingToRecompute() {
        ComputationGraph mlp = ModelZoo.build("mlp", Map.of(), InputSpec.FASHION_MNIST, 10, 3L, OutputHead.softmaxCrossEntropy()).init();
        assertTrue(!PreciseBatchNorm.applies(mlp));
        INDArray before = mlp.params().dup();
        assertEquals(0, PreciseBatchNorm.recompute(mlp, List.of(images(4, 8))));
        assertEquals(before, mlp.params());
    }

    @Test
    void refusesNoBatches() {
        assertThrows(IllegalArgumentException.class, () -> PreciseBatchNorm.recompute(STUDENT.init(), List.of()));
    }
}
