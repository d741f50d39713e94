package org.kdspark.kd.method;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.kdspark.kd.loss.AttentionTransferLoss;
import org.kdspark.kd.zoo.Tap;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

class ObjectiveTest {

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static final Map<String, Object> CE_KD_AT = map("ce", 1.0,
            "kd", map("weight", 0.9, "temperature", 4),
            "at", map("weight", 100, "student_tap", "block", "teacher_tap", "block"));

    /** One term per method, on the tiny student's taps. */
    static Stream<Map<String, Object>> everyMethod() {
        return Stream.of(
                map("kd", map("weight", 0.9, "temperature", 4)),
                map("dkd", map("alpha", 1, "beta", 2, "temperature", 4)),
                map("dist", map()),
                map("fitnets", map("weight", 0.05, "student_tap", "block")),
                map("at", map("weight", 100, "student_tap", "block", "teacher_tap", "block_map")),
                map("sp", map("weight", 100, "student_tap", "pool", "teacher_tap", "block")),
                map("rkd", map("student_tap", "embed")),
                map("pkt", map("weight", 10, "student_tap", "embed")));
    }

    @Test
    void printsTheWholeObjectiveFormula() {
        assertEquals("1.0*CE(y,softmax(s)) + 0.9*4.0^2*KL(softmax(t/4.0)||softmax(s/4.0))"
                + " + 100.0/2*mean_p(a_s - a_t)^2, a = normalize(sum_c A^2) @block", Objective.parse(CE_KD_AT).toString());
        assertEquals("1.0*CE(y,softmax(s))", Objective.baseline().toString());
    }

    @Test
    void namesItsTeacherSignalsAndOutputsInConfigOrder() {
        Objective o = Objective.parse(map("ce", 1.0, "kd", 0.5, "at.b1", map("student_tap", "block"),
                "at.b2", map("student_tap", "pool", "teacher_tap", "small")));
        assertEquals(List.of("logits", "block", "small"), o.teacherSignals());
        assertEquals(List.of("loss_ce", "loss_kd", "loss_at_b1", "loss_at_b2"), o.outputNames());
        assertThrows(IllegalArgumentException.class, () -> Objective.parse(map("at-b1", 1.0)));
        assertThrows(IllegalArgumentException.class, () -> Objective.parse(map()));
    }

    @Test
    void refusesAnObjectiveThatLeavesTheLogitsUntrained() {
        var e = assertThrows(IllegalArgumentException.class, () -> Objective.parse(map("at", map("student_tap",
                "block"))).addTo(TinyStudent.graph(), TinyStudent.TAPS, TinyStudent.TEACHER));
        assertTrue(e.getMessage().contains("add ce"), e.getMessage());
    }

    @Test
    void kdLabelsAreOneHotThenTeacherLogitsAndCeLabelsAreOneHot() {
        Minibatch batch = TinyStudent.minibatch(new Random(1), 2, DataType.FLOAT);
        INDArray[] labels = Objective.parse(map("ce", 1.0, "kd", 1.0)).labels(batch);
        float[] logits = batch.teacher("logits");
        for (int i = 0; i < 2; i++) {
            float[] expected = new float[6];
            expected[batch.classOf(i)] = 1;
            System.arraycopy(logits, 3 * i, expected, 3, 3);
            assertArrayEquals(expected, labels[1].getRow(i).toFloatVector(), 0f);
            assertArrayEquals(java.util.Arrays.copyOf(expected, 3), labels[0].getRow(i).toFloatVector(), 0f);
        }
    }

    @Test
    void atLabelsAreTheTeacherAttentionMapWhetherStoredOrComputedFromTheFeatureMap() {
        Minibatch batch = TinyStudent.minibatch(new Random(2), 2, DataType.DOUBLE);
        INDArray fromMap = Objective.parse(map("at", map("student_tap", "block", "teacher_tap", "block_map")))
                .labels(batch)[0];
        assertEquals(List.of(2L, 36L), List.of(fromMap.size(0), fromMap.size(1)));
        assertArrayEquals(java.util.Arrays.copyOf(toDoubles(batch.teacher("block_map")), 36),
                fromMap.getRow(0).toDoubleVector(), 0);
        INDArray computed = Objective.parse(map("at", map("student_tap", "block"))).labels(batch)[0];
        double[] features = toDoubles(batch.teacher("block"));
        for (int p = 0; p < 36; p++) {
            double expected = 0;
            for (int c = 0; c < 6; c++) {
                expected += features[216 + c * 36 + p] * features[216 + c * 36 + p];
            }
            assertEquals(expected, computed.getDouble(1, p), 1e-5);
        }
    }

    private static double[] toDoubles(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }

    @Test
    void attentionHeadSeesTheTapFlattenedChannelMajor() {
        // ce with weight 0 keeps the logits connected and adds nothing to the score
        Objective at = Objective.parse(map("ce", 0.0, "at", map("weight", 10, "student_tap", "block", "teacher_tap",
                "block_map")));
        GraphBuilder g = TinyStudent.graph(DataType.DOUBLE, new NoOp(), Activation.TANH);
        at.addTo(g, TinyStudent.TAPS, TinyStudent.TEACHER);
        ComputationGraph net = new ComputationGraph(g.build());
        net.init();
        Random rng = new Random(5);
        INDArray x = TinyStudent.images(rng, 3, DataType.DOUBLE);
        Minibatch batch = TinyStudent.minibatch(rng, 3, DataType.DOUBLE);
        INDArray[] labels = at.labels(batch);
        double graphScore = net.score(new MultiDataSet(new INDArray[] {x}, labels));
        INDArray block = net.feedForward(x, false).get("block").reshape('c', 3, 4 * 36);
        double direct = new AttentionTransferLoss(10).computeScore(labels[1], block, new ActivationIdentity(), null,
                true);
        assertEquals(direct, graphScore, 1e-10);
    }

    @Test
    void studentWithCeKdAndAtTrainsWithDecreasingScore() {
        assertTrains(CE_KD_AT, 20);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyMethod")
    void everyMethodTrainsAlongsideCrossEntropy(Map<String, Object> term) {
        Map<String, Object> config = map("ce", 1.0);
        config.putAll(term);
        assertTrains(config, 12);
    }

    private static void assertTrains(Map<String, Object> config, int steps) {
        Objective objective = Objective.parse(config);
        GraphBuilder g = TinyStudent.graph();
        String[] outputs = objective.addTo(g, TinyStudent.TAPS, TinyStudent.TEACHER);
        assertEquals(objective.outputNames(), List.of(outputs));
        ComputationGraph net = new ComputationGraph(g.build());
        net.init();
        Random rng = new Random(11);
        MultiDataSet data = new MultiDataSet(new INDArray[] {TinyStudent.images(rng, 16, DataType.FLOAT)},
                objective.labels(TinyStudent.minibatch(rng, 16, DataType.FLOAT)));
        double before = net.score(data);
        for (int i = 0; i < steps; i++) {
            net.fit(data);
        }
        double after = net.score(data);
        assertTrue(Double.isFinite(after) && after < 0.9 * before, objective + ": score " + before + " -> " + after);
    }

    @Test
    void objectiveHeadsWithRegressorAndFlatteningPassDl4jGradientCheck() {
        // each loss is gradient-checked on its own in LossContractTest; this checks the wiring on a student small
        // enough to check every parameter: the conv regressor, the channel-major flattening of a feature-map
        // tap, and several outputs summed
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        GraphBuilder g = new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE)
                .seed(5).updater(new NoOp()).weightInit(org.deeplearning4j.nn.weights.WeightInit.XAVIER)
                .graphBuilder().addInputs("in")
                .setInputTypes(org.deeplearning4j.nn.conf.inputs.InputType.convolutional(3, 3, 1))
                .addLayer("block", new org.deeplearning4j.nn.conf.layers.ConvolutionLayer.Builder(2, 2).nOut(2)
                        .convolutionMode(org.deeplearning4j.nn.conf.ConvolutionMode.Same).activation(Activation.TANH)
                        .build(), "in")
                .addLayer("logits", new org.deeplearning4j.nn.conf.layers.DenseLayer.Builder().nOut(2)
                        .activation(Activation.IDENTITY).build(), "block");
        StudentTaps taps = new StudentTaps(Map.of("logits", new Tap("logits", 2), "block", new Tap("block", 2, 3, 3)));
        TeacherShapes shapes = new TeacherShapes(Map.of("logits", new int[] {2}, "hint", new int[] {3, 2, 2},
                "block", new int[] {3, 3, 3}));
        Objective objective = Objective.parse(map("ce", 0.5,
                "fitnets", map("weight", 0.5, "student_tap", "block", "teacher_tap", "hint"),
                "at", map("weight", 20, "student_tap", "block"),
                "sp", map("weight", 10, "student_tap", "block")));
        objective.addTo(g, taps, shapes);
        ComputationGraph net = new ComputationGraph(g.build());
        net.init();
        Random rng = new Random(13);
        double[] pixels = rng.doubles(3 * 9).toArray();
        INDArray x = Nd4j.create(pixels, new long[] {3, 1, 3, 3}, 'c');
        Map<String, float[]> teacher = Map.of("logits", floats(rng, 6), "hint", floats(rng, 36),
                "block", floats(rng, 81));
        INDArray[] labels = objective.labels(new Minibatch(new int[] {0, 1, 1}, 2, shapes, teacher, DataType.DOUBLE));
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(net)
                .inputs(new INDArray[] {x}).labels(labels).epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)));
    }

    private static float[] floats(Random rng, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) Math.abs(rng.nextGaussian());
        }
        return v;
    }

    @Test
    void standardizedLogitTermsTrainAndSurviveJsonRoundTrip() {
        Map<String, Object> config = map("ce", 1.0, "kd", map("weight", 9, "temperature", 2, "standardize", true),
                "dkd", map("standardize", true), "dist", map("standardize", true));
        assertTrains(config, 12);
        Objective objective = Objective.parse(config);
        assertTrue(objective.toString().contains("Z(s)"), objective.toString());
        GraphBuilder g = TinyStudent.graph();
        objective.addTo(g, TinyStudent.TAPS, TinyStudent.TEACHER);
        ComputationGraphConfiguration conf = g.build();
        assertEquals(conf, ComputationGraphConfiguration.fromJson(conf.toJson()));
        IllegalArgumentException withHard = assertThrows(IllegalArgumentException.class,
                () -> Objective.parse(map("kd", map("alpha", 0.1, "standardize", true))));
        assertTrue(withHard.getMessage().contains("set kd.alpha to 0"), withHard.getMessage());
        IllegalArgumentException notAFlag = assertThrows(IllegalArgumentException.class,
                () -> Objective.parse(map("dkd", map("standardize", 1))));
        assertTrue(notAFlag.getMessage().contains("dkd.standardize must be true or false"), notAFlag.getMessage());
    }

    @Test
    void studentConfigurationWithAllHeadsSurvivesJsonRoundTrip() {
        Map<String, Object> config = map("ce", 1.0);
        everyMethod().forEach(config::putAll);
        GraphBuilder g = TinyStudent.graph();
        Objective.parse(config).addTo(g, TinyStudent.TAPS, TinyStudent.TEACHER);
        ComputationGraphConfiguration conf = g.build();
        assertEquals(conf, ComputationGraphConfiguration.fromJson(conf.toJson()));
    }

    @Test
    void mismatchedShapesFailWhileBuildingNamingTapsAndShapes() {
        var spatial = assertThrows(IllegalArgumentException.class, () -> Objective.parse(
                map("ce", 1.0, "at", map("student_tap", "pool", "teacher_tap", "block"))).addTo(TinyStudent.graph(),
                TinyStudent.TAPS, TinyStudent.TEACHER));
        assertTrue(spatial.getMessage().contains("spatial sizes differ"), spatial.getMessage());
        var larger = assertThrows(IllegalArgumentException.class, () -> Objective.parse(
                map("ce", 1.0, "fitnets", map("student_tap", "pool", "teacher_tap", "small"))).addTo(TinyStudent.graph(),
                TinyStudent.TAPS, TinyStudent.TEACHER));
        assertTrue(larger.getMessage().contains("larger than the student tap"), larger.getMessage());
        var missing = assertThrows(IllegalArgumentException.class, () -> Objective.parse(
                map("ce", 1.0, "rkd", map("student_tap", "penultimate"))).addTo(TinyStudent.graph(), TinyStudent.TAPS,
                TinyStudent.TEACHER));
        assertTrue(missing.getMessage().contains("no tap 'penultimate'") && missing.getMessage().contains("embed"),
                missing.getMessage());
    }

    @Test
    void rejectsALogitsTapThatIsNotRaw() {
        GraphBuilder g = TinyStudent.graph();
        g.addLayer("probs", new org.deeplearning4j.nn.conf.layers.DenseLayer.Builder().nOut(3)
                .activation(Activation.SOFTMAX).build(), "embed");
        StudentTaps taps = new StudentTaps(Map.of("logits", new Tap("probs", 3)));
        var e = assertThrows(IllegalArgumentException.class,
                () -> Objective.parse(map("kd", 1.0)).addTo(g, taps, TinyStudent.TEACHER));
        assertTrue(e.getMessage().contains("Activation.IDENTITY"), e.getMessage());
    }

    @Test
    void objectiveAndItsMethodsAreSerializableForSparkExecutors() throws Exception {
        Map<String, Object> config = map("ce", 1.0);
        everyMethod().forEach(config::putAll);
        Objective o = Objective.parse(config);
        var bytes = new java.io.ByteArrayOutputStream();
        try (var out = new java.io.ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        Objective back;
        try (var in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
            back = (Objective) in.readObject();
        }
        assertEquals(o.toString(), back.toString());
        Minibatch batch = TinyStudent.minibatch(new Random(3), 4, DataType.FLOAT);
        INDArray[] a = o.labels(batch);
        INDArray[] b = back.labels(batch);
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i], b[i]);
        }
    }
}
