package org.kdspark.kd.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.modelimport.keras.Hdf5Archive;
import org.deeplearning4j.nn.modelimport.keras.KerasModel;
import org.deeplearning4j.nn.modelimport.keras.KerasSequentialModel;
import org.deeplearning4j.nn.modelimport.keras.exceptions.InvalidKerasConfigurationException;
import org.deeplearning4j.nn.modelimport.keras.exceptions.UnsupportedKerasConfigurationException;
import org.deeplearning4j.nn.modelimport.keras.utils.KerasModelBuilder;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.provenance.Hashes;
import org.kdspark.kd.provenance.Provenance;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;

/**
 * Teachers trained elsewhere, brought to the one shape the rest of the project labels with: a
 * {@link ComputationGraph} that takes NCHW float images in [0, 1] ({@link InputSpec#toInput}) and exposes its raw,
 * pre-softmax class scores as the vertex {@value GraphOutputs#LOGITS}.
 *
 * <p>Accepted, told apart by their bytes rather than their names: a DL4J ComputationGraph zip (used as it is when it
 * already has a {@code logits} vertex), a DL4J MultiLayerNetwork zip (converted with
 * {@link MultiLayerNetwork#toComputationGraph()}), and a Keras 2 HDF5 model, Sequential or functional (imported with
 * DL4J's Keras import; channels-last models get an {@link NchwToNhwcPreProcessor} after their input). A network that
 * ends in a softmax (or linear) classifier gets that layer's activation set to identity and the layer renamed
 * {@code logits}; its parameters are copied unchanged, so {@code softmax(logits)} is the original's output.
 *
 * <p>Conversion happens once, on the caller's machine: {@link Teacher#toZip} gives the DL4J zip that executors load
 * like any of our own teachers, while {@link Teacher#sha256()} stays the original file's, the teacher's identity.
 */
public final class TeacherModels {

    /** The vertex added after the input of a channels-last model. */
    public static final String NHWC_INPUT = "input_nchw_to_nhwc";

    private static final byte[] HDF5_MAGIC = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the teacher file was; recorded in provenance as {@link #id()}. */
    public enum Kind {
        DL4J_GRAPH("dl4j-graph"), DL4J_MULTILAYER("dl4j-multilayer"), KERAS_HDF5("keras-hdf5");

        private final String id;

        Kind(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }
    }

    /**
     * A teacher ready to label.
     *
     * @param graph         the converted graph, with a {@code logits} vertex
     * @param kind          what the file was
     * @param source        the file's name or URI, for messages and provenance
     * @param sha256        hex SHA-256 of the original file's bytes: the teacher's identity
     * @param declaredInput the image shape the model declares (Keras models do), or null when the file does not say
     * @param conversion    what was changed to get {@code graph}, in order; empty when nothing was
     */
    public record Teacher(ComputationGraph graph, Kind kind, String source, String sha256, InputSpec declaredInput, List<String> conversion) {

        public Teacher {
            conversion = List.copyOf(conversion);
        }

        /** The DL4J zip of the converted graph (no updater), with {@code provenance}: what executors load. */
        public byte[] toZip(Provenance provenance) {
            return ModelFiles.toZip(graph, provenance, false);
        }

        /**
         * Refuses a model that declares an input other than {@code spec}, saying what to change. DL4J files declare no
         * input shape: their first layer tells the channel count (and the image size, after a flattening
         * preprocessor), checked here; the rest is checked by running them (the caller's job).
         */
        public void requireInput(InputSpec spec) {
            if (declaredInput == null) {
                InputHint hint = inputHint(graph);
                if (hint != null) {
                    hint.require(spec, source, kind);
                }
                return;
            }
            if (!declaredInput.sameImages(spec)) {
                throw new IllegalArgumentException(source + ": the " + kind.id() + " teacher takes " + declaredInput.height() + "x"
                        + declaredInput.width() + " images with " + declaredInput.channels() + " channel(s) but the image table holds "
                        + spec.height() + "x" + spec.width() + " with " + spec.channels() + ": ingest with dataset.height: "
                        + declaredInput.height() + ", dataset.width: " + declaredInput.width() + ", dataset.channels: "
                        + declaredInput.channels() + ", or use a teacher built for " + spec + " (channels x height x width) images");
            }
        }

        /** For provenance: kind, SHA-256 and what the conversion did. */
        public Map<String, Object> details() {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("model", source);
            out.put("kind", kind.id());
            out.put("sha256", sha256);
            if (declaredInput != null) {
                out.put("declared_input", declaredInput.toString());
            }
            out.put("conversion", conversion);
            return out;
        }
    }

    /**
     * What a DL4J graph's first layer reveals of the images it takes; 0 where it does not tell.
     *
     * @param layer the first layer reading the input
     */
    public record InputHint(String layer, long channels, long height, long width) {

        /** Refuses {@code spec} when it contradicts what the first layer takes, naming both and the keys to change. */
        void require(InputSpec spec, String source, Kind kind) {
            boolean channelsDiffer = channels > 0 && channels != spec.channels();
            boolean sizeDiffers = height > 0 && width > 0 && (height != spec.height() || width != spec.width());
            if (!channelsDiffer && !sizeDiffers) {
                return;
            }
            String takes = (height > 0 ? height + "x" + width + " images with " : "images with ") + channels + " channel(s)";
            String keys = (channelsDiffer ? "dataset.channels: " + channels : "")
                    + (channelsDiffer && sizeDiffers ? ", " : "")
                    + (sizeDiffers ? "dataset.height: " + height + ", dataset.width: " + width : "");
            throw new IllegalArgumentException(source + ": the " + kind.id() + " teacher takes " + takes + " (its first layer '" + layer
                    + "') but the image table holds " + spec.height() + "x" + spec.width() + " with " + spec.channels() + ": ingest with "
                    + keys + ", or use a teacher built for " + spec + " (channels x height x width) images");
        }
    }

    private TeacherModels() {
    }

    /**
     * The input a DL4J graph's first layer implies: a convolution's {@code nIn} is the channel count; a dense layer
     * behind a {@link CnnToFeedForwardPreProcessor} names channels, height and width. Null when the first layer tells
     * nothing (pooling first, say) or the graph has several inputs.
     */
    public static InputHint inputHint(ComputationGraph graph) {
        ComputationGraphConfiguration conf = graph.getConfiguration();
        if (conf.getNetworkInputs().size() != 1) {
            return null;
        }
        String from = conf.getNetworkInputs().get(0);
        for (int depth = 0; depth < 4; depth++) {
            String reader = null;
            for (Map.Entry<String, List<String>> e : conf.getVertexInputs().entrySet()) {
                if (e.getValue().contains(from)) {
                    reader = e.getKey();
                    break;
                }
            }
            GraphVertex vertex = reader == null ? null : conf.getVertices().get(reader);
            if (vertex instanceof PreprocessorVertex) {
                from = reader; // the channels-last permutation: what follows it sees the same channels
                continue;
            }
            if (!(vertex instanceof LayerVertex lv)) {
                return null;
            }
            if (lv.getPreProcessor() instanceof CnnToFeedForwardPreProcessor p) {
                return new InputHint(reader, p.getNumChannels(), p.getInputHeight(), p.getInputWidth());
            }
            if (lv.getLayerConf().getLayer() instanceof ConvolutionLayer c && c.getNIn() > 0) {
                return new InputHint(reader, c.getNIn(), 0, 0);
            }
            return null;
        }
        return null;
    }

    /** What {@code bytes} hold, by their content: HDF5 magic bytes, or a zip whose DL4J configuration names vertices or layers. */
    public static Kind detect(byte[] bytes, String source) {
        if (startsWith(bytes, HDF5_MAGIC)) {
            return Kind.KERAS_HDF5;
        }
        if (bytes.length < 4 || bytes[0] != 'P' || bytes[1] != 'K') {
            throw new IllegalArgumentException(source + ": not a teacher this project can load: expected a DL4J model zip "
                    + "(ComputationGraph or MultiLayerNetwork, ModelSerializer.writeModel) or a Keras 2 HDF5 file (model.save('x.h5')); "
                    + "for an ONNX model use soft_labels.teacher_onnx or a name ending in .onnx");
        }
        String config = zipEntry(bytes, "configuration.json");
        if (config == null) {
            throw new IllegalArgumentException(source + ": a zip without configuration.json is not a DL4J model (a Keras 3 '.keras' "
                    + "file is not supported: save it as HDF5 with model.save('x.h5') in Keras 2 / tf.keras, or export it to ONNX)");
        }
        try {
            JsonNode root = JSON.readTree(config);
            if (root.has("vertices")) {
                return Kind.DL4J_GRAPH;
            }
            if (root.has("confs")) {
                return Kind.DL4J_MULTILAYER;
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(source + ": unreadable DL4J configuration.json: " + e.getMessage(), e);
        }
        throw new IllegalArgumentException(source + ": configuration.json is neither a ComputationGraph nor a MultiLayerNetwork "
                + "configuration: save the model with DL4J's ModelSerializer");
    }

    /** Loads and converts a teacher from a file's bytes; {@code source} names the file in messages. */
    public static Teacher load(byte[] bytes, String source) {
        Kind kind = detect(bytes, source);
        String sha = Hashes.sha256(bytes);
        List<String> conversion = new ArrayList<>();
        NativeHelpers.enable();
        switch (kind) {
            case DL4J_GRAPH -> {
                ComputationGraph graph = ModelFiles.graphFromZip(bytes, false);
                return new Teacher(exposeLogits(graph, source, conversion), kind, source, sha, null, conversion);
            }
            case DL4J_MULTILAYER -> {
                MultiLayerNetwork mln;
                try {
                    mln = ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(bytes), false);
                } catch (IOException e) {
                    throw new UncheckedIOException(source + ": not a DL4J MultiLayerNetwork zip: " + e.getMessage(), e);
                }
                conversion.add("MultiLayerNetwork -> ComputationGraph");
                return new Teacher(exposeLogits(mln.toComputationGraph(), source, conversion), kind, source, sha, null, conversion);
            }
            default -> {
                return keras(bytes, source, sha, conversion);
            }
        }
    }

    /**
     * {@code graph} with its classifier's raw scores as {@value GraphOutputs#LOGITS}: the graph itself when it has that
     * vertex; otherwise a copy whose single output layer (dense, output, loss or activation layer with softmax or identity
     * activation) gets identity activation and the name {@code logits}.
     */
    public static ComputationGraph exposeLogits(ComputationGraph graph, String source, List<String> conversion) {
        if (graph.getVertex(GraphOutputs.LOGITS) != null) {
            return graph;
        }
        ComputationGraphConfiguration conf = graph.getConfiguration().clone();
        List<String> outputs = conf.getNetworkOutputs();
        if (outputs.size() != 1) {
            throw new IllegalArgumentException(source + ": the model has " + outputs.size() + " outputs " + outputs
                    + " and no 'logits' vertex; a teacher needs exactly one classifier output (or a vertex named 'logits')");
        }
        String out = outputs.get(0);
        GraphVertex vertex = conf.getVertices().get(out);
        if (!(vertex instanceof LayerVertex lv)) {
            throw new IllegalArgumentException(source + ": the model's output '" + out + "' is a " + vertex.getClass().getSimpleName()
                    + ", not a layer; a teacher must end in a dense/output layer (or activation layer) with softmax or linear activation");
        }
        Layer layer = lv.getLayerConf().getLayer();
        IActivation activation = activation(layer);
        if (activation == null) {
            throw new IllegalArgumentException(source + ": the model's final layer '" + out + "' is a " + layer.getClass().getSimpleName()
                    + "; a teacher must end in a dense or output layer (or a softmax activation/loss layer) producing class scores: "
                    + "add a Dense(num_classes, softmax) classifier, or name the raw class-score vertex 'logits'");
        }
        String what;
        if (activation instanceof ActivationSoftmax) {
            what = "softmax";
        } else if (activation instanceof ActivationIdentity) {
            what = "identity";
        } else {
            throw new IllegalArgumentException(source + ": the model's final layer '" + out + "' (" + layer.getClass().getSimpleName()
                    + ") has activation " + activation + "; a teacher's classifier must end in softmax or linear (identity) so that "
                    + "its raw class scores can be read: retrain or re-export with a softmax output");
        }
        setActivation(layer, new ActivationIdentity());
        layer.setLayerName(GraphOutputs.LOGITS);
        rename(conf, out, GraphOutputs.LOGITS);
        conversion.add("output layer '" + out + "' (" + layer.getClass().getSimpleName() + ", " + what + ") -> '" + GraphOutputs.LOGITS
                + "' with identity activation");
        return rebuild(graph, conf, Map.of(out, GraphOutputs.LOGITS));
    }

    private static Teacher keras(byte[] bytes, String source, String sha, List<String> conversion) {
        Path file = null;
        try {
            file = Files.createTempFile("kd-teacher-", ".h5");
            Files.write(file, bytes);
            String className = kerasClassName(file, source);
            KerasModelBuilder builder = new KerasModel().modelBuilder().modelHdf5Filename(file.toString()).enforceTrainingConfig(false);
            ComputationGraph graph;
            KerasModel model;
            try {
                if (className.equals("Sequential")) {
                    KerasSequentialModel seq = builder.buildSequential();
                    model = seq;
                    graph = seq.getMultiLayerNetwork().toComputationGraph();
                    conversion.add("Keras Sequential -> MultiLayerNetwork -> ComputationGraph");
                } else {
                    model = builder.buildModel();
                    graph = model.getComputationGraph();
                    conversion.add("Keras " + className + " -> ComputationGraph");
                }
            } finally {
                builder.close();
            }
            InputSpec declared = kerasInput(model, source);
            InputType.InputTypeConvolutional input = (InputType.InputTypeConvolutional) model.getOutputTypes().get(model.getInputLayerNames().get(0));
            if (input.getFormat() == CNN2DFormat.NHWC) {
                graph = channelsFirst(graph);
                conversion.add("NCHW input permuted to the model's NHWC ('" + NHWC_INPUT + "')");
            }
            return new Teacher(exposeLogits(graph, source, conversion), Kind.KERAS_HDF5, source, sha, declared, conversion);
        } catch (UnsupportedKerasConfigurationException e) {
            throw new IllegalArgumentException(source + ": DL4J's Keras import does not support this model: " + e.getMessage()
                    + "; replace that layer with one DL4J imports, or export the model to ONNX and set soft_labels.teacher_onnx", e);
        } catch (InvalidKerasConfigurationException e) {
            throw new IllegalArgumentException(source + ": not a Keras model DL4J can read: " + e.getMessage()
                    + "; save the whole model (architecture and weights) with model.save('x.h5') in Keras 2 / tf.keras", e);
        } catch (IOException e) {
            throw new UncheckedIOException(source + ": cannot read the Keras file: " + e.getMessage(), e);
        } catch (LinkageError e) {
            throw new IllegalStateException("cannot load the HDF5 native library needed to read " + source + " (org.bytedeco:hdf5 "
                    + "linux-x86_64 must be on the classpath): " + e, e);
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // a temp file left behind is harmless
                }
            }
        }
    }

    /** {@code class_name} of the file's {@code model_config}: Sequential, Functional or Model. */
    private static String kerasClassName(Path file, String source) throws UnsupportedKerasConfigurationException, IOException {
        try (Hdf5Archive archive = new Hdf5Archive(file.toString())) {
            if (!archive.hasAttribute("model_config")) {
                throw new IllegalArgumentException(source + ": the HDF5 file has no model_config (weights only?): save the whole model "
                        + "with model.save('x.h5'), not model.save_weights");
            }
            JsonNode config = JSON.readTree(archive.readAttributeAsJson("model_config"));
            return config.path("class_name").asText("");
        }
    }

    /** The image shape the Keras model's (single) input declares, as the table's CHW spec; refuses non-image inputs. */
    private static InputSpec kerasInput(KerasModel model, String source) {
        List<String> inputs = model.getInputLayerNames();
        if (inputs.size() != 1) {
            throw new IllegalArgumentException(source + ": the Keras model has " + inputs.size() + " inputs " + inputs
                    + "; a teacher takes one image input");
        }
        InputType type = model.getOutputTypes().get(inputs.get(0));
        if (!(type instanceof InputType.InputTypeConvolutional c)) {
            throw new IllegalArgumentException(source + ": the Keras model's input layer '" + inputs.get(0) + "' takes " + type
                    + ", not images: a teacher must take images of rank 3 (height, width, channels), e.g. Input(shape=(28, 28, 1)) "
                    + "followed by Flatten() for a dense model");
        }
        try {
            return new InputSpec((int) c.getChannels(), (int) c.getHeight(), (int) c.getWidth());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": the Keras model's input layer '" + inputs.get(0) + "' takes " + c + ": " + e.getMessage(), e);
        }
    }

    /** {@code graph} with an {@link NchwToNhwcPreProcessor} between its input and every vertex that read it. */
    static ComputationGraph channelsFirst(ComputationGraph graph) {
        ComputationGraphConfiguration conf = graph.getConfiguration().clone();
        String input = conf.getNetworkInputs().get(0);
        for (List<String> in : conf.getVertexInputs().values()) {
            in.replaceAll(name -> name.equals(input) ? NHWC_INPUT : name);
        }
        conf.getVertices().put(NHWC_INPUT, new PreprocessorVertex(new NchwToNhwcPreProcessor()));
        conf.getVertexInputs().put(NHWC_INPUT, new ArrayList<>(List.of(input)));
        return rebuild(graph, conf, Map.of());
    }

    /** A new graph of {@code conf} holding {@code graph}'s parameters, layer by layer ({@code renamed}: old name to new). */
    private static ComputationGraph rebuild(ComputationGraph graph, ComputationGraphConfiguration conf, Map<String, String> renamed) {
        // the cached order names the old vertices; init() recomputes it
        conf.setTopologicalOrder(null);
        conf.setTopologicalOrderStr(null);
        ComputationGraph out = new ComputationGraph(conf);
        out.init();
        for (org.deeplearning4j.nn.graph.vertex.GraphVertex v : graph.getVertices()) {
            if (v.hasLayer() && v.getLayer().numParams() > 0) {
                String name = renamed.getOrDefault(v.getVertexName(), v.getVertexName());
                out.getLayer(name).setParams(v.getLayer().params().dup());
            }
        }
        return out;
    }

    private static void rename(ComputationGraphConfiguration conf, String from, String to) {
        Map<String, GraphVertex> vertices = new LinkedHashMap<>();
        conf.getVertices().forEach((k, v) -> vertices.put(k.equals(from) ? to : k, v));
        Map<String, List<String>> inputs = new LinkedHashMap<>();
        conf.getVertexInputs().forEach((k, v) -> {
            List<String> in = new ArrayList<>(v);
            in.replaceAll(n -> n.equals(from) ? to : n);
            inputs.put(k.equals(from) ? to : k, in);
        });
        conf.setVertices(vertices);
        conf.setVertexInputs(inputs);
        conf.setNetworkOutputs(new ArrayList<>(conf.getNetworkOutputs().stream().map(n -> n.equals(from) ? to : n).toList()));
    }

    /** The activation of a classifier-shaped final layer, or null for any other kind of layer. */
    private static IActivation activation(Layer layer) {
        if (layer instanceof OutputLayer || layer instanceof DenseLayer || layer instanceof LossLayer) {
            return ((BaseLayer) layer).getActivationFn();
        }
        if (layer instanceof ActivationLayer a) {
            return a.getActivationFn();
        }
        return null;
    }

    private static void setActivation(Layer layer, IActivation activation) {
        if (layer instanceof ActivationLayer a) {
            a.setActivationFn(activation);
        } else {
            ((BaseLayer) layer).setActivationFn(activation);
        }
    }


    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        if (bytes.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (bytes[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static String zipEntry(byte[] zip, String name) {
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                if (e.getName().equals(name)) {
                    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
            }
            return null;
        } catch (IOException e) {
            throw new IllegalArgumentException("not a readable zip: " + e.getMessage(), e);
        }
    }
}
