package org.kdspark.kd.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/** Shared checks for the losses: central differences on the pre-output and a DL4J graph gradient check. */
final class LossChecks {

    private LossChecks() {
    }

    static INDArray doubles(double[][] rows) {
        return Nd4j.create(rows).castTo(DataType.DOUBLE);
    }

    static double[][] random(Random rng, int rows, int cols, double scale) {
        double[][] x = new double[rows][cols];
        for (double[] row : x) {
            for (int j = 0; j < cols; j++) {
                row[j] = scale * rng.nextGaussian();
            }
        }
        return x;
    }

    /**
     * Compares {@code computeGradient} with central differences of {@code computeScore(average=false)} for every
     * entry of the pre-output, in double precision, and checks that computeGradientAndScore agrees with both.
     */
    static void assertGradientMatchesCentralDifferences(ILossFunction loss, double[][] labels, double[][] preOutput,
                                                        INDArray mask) {
        INDArray y = doubles(labels);
        INDArray x = doubles(preOutput);
        ActivationIdentity identity = new ActivationIdentity();
        INDArray analytic = loss.computeGradient(y, x, identity, mask);
        assertEquals(DataType.DOUBLE, analytic.dataType());
        double h = 1e-6;
        for (int i = 0; i < preOutput.length; i++) {
            for (int j = 0; j < preOutput[i].length; j++) {
                double[][] plus = copy(preOutput);
                double[][] minus = copy(preOutput);
                plus[i][j] += h;
                minus[i][j] -= h;
                double numeric = (loss.computeScore(y, doubles(plus), identity, mask, false)
                        - loss.computeScore(y, doubles(minus), identity, mask, false)) / (2 * h);
                double a = analytic.getDouble(i, j);
                double tolerance = 1e-7 + 1e-5 * Math.max(Math.abs(a), Math.abs(numeric));
                assertTrue(Math.abs(a - numeric) <= tolerance, loss + ": d/dx[" + i + "," + j + "] analytic " + a
                        + " vs numeric " + numeric);
            }
        }
        var both = loss.computeGradientAndScore(y, x, identity, mask, true);
        assertEquals(loss.computeScore(y, x, identity, mask, true), both.getFirst(), 1e-12);
        assertTrue(analytic.equalsWithEps(both.getSecond(), 1e-12));
    }

    /**
     * Runs DL4J's GradientCheckUtil on {@code input -> dense(tanh) -> output(identity, loss)}: checks that the
     * loss's gradient agrees with DL4J's own score bookkeeping (averaging, division by the minibatch size).
     */
    static boolean graphGradientCheck(ILossFunction loss, int nIn, int nOut, double[][] input, double[][] labels) {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE).seed(7).updater(new NoOp()).weightInit(WeightInit.XAVIER)
                .graphBuilder()
                .addInputs("in")
                .addLayer("hidden", new DenseLayer.Builder().nIn(nIn).nOut(3).activation(Activation.TANH).build(), "in")
                .addLayer("out", new OutputLayer.Builder(loss).nIn(3).nOut(nOut).activation(Activation.IDENTITY)
                        .build(), "hidden")
                .setOutputs("out")
                .build();
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        return GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(graph)
                .inputs(new INDArray[] {doubles(input)}).labels(new INDArray[] {doubles(labels)})
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9));
    }

    static double[][] copy(double[][] x) {
        double[][] c = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            c[i] = x[i].clone();
        }
        return c;
    }
}
