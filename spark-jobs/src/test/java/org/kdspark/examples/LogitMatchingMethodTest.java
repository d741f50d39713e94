package org.kdspark.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.kdspark.jobs.Tiers;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.method.Methods;
import org.kdspark.kd.method.Minibatch;
import org.kdspark.kd.method.Objective;
import org.kdspark.kd.method.Shorthand;
import org.kdspark.kd.method.TeacherShapes;
import org.kdspark.kd.model.GraphOutputs;
import org.kdspark.kd.zoo.ModelZoo;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The example plug-in of docs/extending.md: found on the classpath, and exactly its formula and gradient. In the
 * end-to-end tier, whose JVM has the plug-in's registration (src/test/plugin) on its classpath.
 */
@Tag(Tiers.SLOW)
class LogitMatchingMethodTest {

    private static final InputSpec SPEC = new InputSpec(1, 2, 2);
    private static final float[] TEACHER = {2f, -1f, 0.5f, 0f, 3f, -2f};

    @Test
    void thePluginIsRegisteredWithItsShorthand() {
        assertTrue(Methods.names().contains("logitmatch"), Methods.names().toString());
        assertEquals(Map.of("ce", 1.0, "logitmatch", Map.of()), Methods.expand("logitmatch", new Shorthand(0.5, 4, List.of())));
        assertEquals("1.0*CE(y,softmax(s)) + 1.0/2*||s - t||^2", Objective.parse(Methods.expand("logitmatch",
                new Shorthand(0.5, 4, List.of()))).toString());
    }

    @Test
    void theScoreIsHalfTheSquaredDistanceOfTheLogitsTimesTheWeightAndItsGradientTheWeightedDifference() {
        Objective objective = Objective.parse(Map.of("logitmatch", Map.of("weight", 2.0)));
        TeacherShapes shapes = new TeacherShapes(Map.of("logits", new int[] {3}));
        ComputationGraph student = ModelZoo.build("mlp", Map.of("hidden", List.of(4)), SPEC, 3, 9L, objective.heads(shapes)).init();
        INDArray input = Nd4j.create(new float[] {0.1f, 0.9f, 0.4f, 0.3f, 0.7f, 0.2f, 0.5f, 0.8f}, new long[] {2, 1, 2, 2});
        Minibatch batch = new Minibatch(new int[] {0, 2}, 3, shapes, Map.of("logits", TEACHER), DataType.FLOAT);
        float[] s = GraphOutputs.activations(student, input, List.of(GraphOutputs.LOGITS))[0].dup('c').data().asFloat();

        student.setInputs(input);
        student.setLabels(objective.labels(batch));
        student.computeGradientAndScore();

        // by hand: the score is the mean over the 2 examples of 2/2 * sum_c (s - t)^2; the gradient DL4J computes is the
        // sum over the examples of 2 * (s - t) (its updater divides by the minibatch size when it applies it)
        double expected = 0;
        double[] biasGradient = new double[3];
        for (int i = 0; i < 2; i++) {
            for (int c = 0; c < 3; c++) {
                double d = s[i * 3 + c] - TEACHER[i * 3 + c];
                expected += 2.0 / 2 * d * d / 2;
                biasGradient[c] += 2.0 * d;
            }
        }
        assertEquals(expected, student.score(), 1e-5);
        Gradient g = student.gradient();
        INDArray bias = g.getGradientFor("logits_b");
        for (int c = 0; c < 3; c++) {
            assertEquals(biasGradient[c], bias.getDouble(c), 1e-5, "dL/db of class " + c);
        }
    }
}
