package org.kdspark.kd.zoo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.kdspark.kd.data.InputSpec;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.schedule.ExponentialSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

/**
 * The registry of architectures and the one place that turns (name, params, input, classes, seed, head) into a
 * {@link ZooModel} that keeps the zoo's conventions (see the {@linkplain org.kdspark.kd.zoo package docs}).
 *
 * <pre>{@code
 * ZooModel teacher = ModelZoo.build("cnn", Map.of(), InputSpec.FASHION_MNIST, 10, 42L, OutputHead.softmaxCrossEntropy());
 * ZooModel student = ModelZoo.build("cnn-small", Map.of("learning_rate", 3e-3), InputSpec.FASHION_MNIST, 10, 42L,
 *         OutputHead.onLogits(kdLoss));
 * ComputationGraph net = student.init();
 * }</pre>
 */
public final class ModelZoo {

    /** Name of the network input. */
    public static final String INPUT = "input";
    /** Name of the dense, identity-activated layer holding the raw logits. */
    public static final String LOGITS = "logits";
    /** Name of the loss layer on top of the logits. */
    public static final String OUTPUT = "output";

    private static final Map<String, Architecture> REGISTRY;

    static {
        Map<String, Architecture> m = new LinkedHashMap<>();
        for (Architecture a : List.of(PlainCnn.teacher(), PlainCnn.small(), new Mlp(), new LeNet5(), new ResNet(),
                new MobileNet())) {
            m.put(a.name(), a);
        }
        REGISTRY = Collections.unmodifiableMap(m);
    }

    private ModelZoo() {
    }

    /** The registered architecture names, in registration order. */
    public static List<String> names() {
        return List.copyOf(REGISTRY.keySet());
    }

    /** The architecture registered as {@code name}. */
    public static Architecture architecture(String name) {
        Architecture a = REGISTRY.get(name);
        if (a == null) {
            throw new IllegalArgumentException("unknown architecture '" + name + "'; known: " + names());
        }
        return a;
    }

    /**
     * Builds a model by name.
     *
     * @param params architecture and common parameters (see {@link ModelParams#specs}); missing keys take their
     *               defaults, unknown keys or bad values throw {@link IllegalArgumentException}
     */
    public static ZooModel build(String name, Map<String, ?> params, InputSpec input, int numClasses, long seed,
                                 Heads heads) {
        Architecture arch = architecture(name);
        return build(arch, ModelParams.of(arch, params), input, numClasses, seed, heads);
    }

    /** Builds a model from already validated parameters. */
    public static ZooModel build(Architecture arch, ModelParams params, InputSpec input, int numClasses, long seed,
                                 Heads heads) {
        if (numClasses < 2) {
            throw new IllegalArgumentException("numClasses must be >= 2, got " + numClasses);
        }
        if (!params.architecture().equals(arch.name())) {
            throw new IllegalArgumentException("params are for '" + params.architecture() + "', not '" + arch.name() + "'");
        }
        InputType inputType = InputType.convolutional(input.height(), input.width(), input.channels());
        // The heads need the taps' shapes, which DL4J infers from a built configuration: build the body once
        // with the plain softmax head to read them, then again with the real heads.
        List<Tap> taps;
        Map<String, Tap> byName = new LinkedHashMap<>();
        {
            Body trial = body(arch, params, input, numClasses, seed);
            List<String> names = new ArrayList<>(trial.blocks().taps());
            names.add(LOGITS);
            ComputationGraphConfiguration trialConf = withOutputs(trial.graph(), OutputHead.softmaxCrossEntropy(), Map.of(),
                    inputType);
            List<Tap> all = tapShapes(trialConf, names, inputType);
            all.forEach(t -> byName.put(t.vertex(), t));
            taps = all.subList(0, all.size() - 1);
        }
        Body b = body(arch, params, input, numClasses, seed);
        ComputationGraphConfiguration conf = withOutputs(b.graph(), heads, byName, inputType);
        return new ZooModel(arch.name(), params, input, numClasses, seed, heads, conf, taps);
    }

    /** The graph up to and including the {@value #LOGITS} vertex, and the taps its blocks declared. */
    private record Body(ComputationGraphConfiguration.GraphBuilder graph, GraphBlocks blocks) {
    }

    private static Body body(Architecture arch, ModelParams params, InputSpec input, int numClasses, long seed) {
        double lr = params.real(ModelParams.LEARNING_RATE);
        double decay = params.real(ModelParams.LR_DECAY);
        Adam adam = decay == 1.0 ? new Adam(lr) : new Adam(new ExponentialSchedule(ScheduleType.EPOCH, lr, decay));
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .updater(adam)
                .weightInit(WeightInit.valueOf(params.string(ModelParams.WEIGHT_INIT).toUpperCase()))
                .l2(params.real(ModelParams.L2))
                .convolutionMode(ConvolutionMode.Same)
                .graphBuilder()
                .addInputs(INPUT);
        GraphBlocks blocks = new GraphBlocks(g, input);
        String features = arch.addBody(blocks, params);
        g.addLayer(LOGITS, new DenseLayer.Builder().nOut(numClasses).activation(Activation.IDENTITY).build(), features);
        return new Body(g, blocks);
    }

    private static ComputationGraphConfiguration withOutputs(ComputationGraphConfiguration.GraphBuilder g, Heads heads,
                                                             Map<String, Tap> taps, InputType inputType) {
        g.setOutputs(heads.addTo(g, Collections.unmodifiableMap(taps)));
        g.setInputTypes(inputType);
        return g.build();
    }

    private static List<Tap> tapShapes(ComputationGraphConfiguration conf, List<String> names, InputType inputType) {
        Map<String, InputType> types = conf.getLayerActivationTypes(inputType);
        List<Tap> taps = new ArrayList<>();
        for (String name : names) {
            InputType t = types.get(name);
            if (t == null) {
                throw new IllegalStateException("tap '" + name + "' is not a vertex of the graph");
            }
            taps.add(new Tap(name, java.util.Arrays.stream(t.getShape(false)).mapToInt(Math::toIntExact).toArray()));
        }
        return taps;
    }
}
