package org.kdspark.kd.onnx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import onnx.Onnx;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Runs an exported ONNX file in ONNX Runtime and the DL4J network on the same batch and refuses the file when they
 * differ: any output (final or feature tap) with max |ORT - DL4J| above the tolerance, or any network output whose
 * argmax differs on some image.
 *
 * <p>On failure it also finds the first vertex, in topological order, where the two part: it exposes every value of
 * the file named after a DL4J vertex and compares them all, so the message names the layer to look at rather than
 * only the output where the error surfaced.
 *
 * <p>Verification runs the network's layers itself and sets/clears the network's inputs: do not use the same
 * network from another thread meanwhile.
 */
public final class OnnxVerifier {

    /** Max abs difference accepted by default (the bar for logits). */
    public static final double DEFAULT_TOLERANCE = 1e-4;

    private final double tolerance;
    private final int intraOpThreads;

    public OnnxVerifier() {
        this(DEFAULT_TOLERANCE, 1);
    }

    public OnnxVerifier(double tolerance, int intraOpThreads) {
        if (!(tolerance >= 0)) {
            throw new IllegalArgumentException("tolerance must be >= 0, got " + tolerance);
        }
        this.tolerance = tolerance;
        this.intraOpThreads = intraOpThreads;
    }

    /** Compares {@code onnxFile} with {@code graph} on {@code input}; throws {@link OnnxVerificationException}. */
    public OnnxVerification verify(ComputationGraph graph, Path onnxFile, INDArray input) {
        NetworkView view = NetworkView.of(graph, inputTypeOf(input));
        INDArray dl4jInput = input.castTo(graph.getConfiguration().getDataType());
        return verify(view, onnxFile, input, activations(graph, view, dl4jInput));
    }

    /** Compares {@code onnxFile} with {@code network} on {@code input}; throws {@link OnnxVerificationException}. */
    public OnnxVerification verify(MultiLayerNetwork network, Path onnxFile, INDArray input) {
        NetworkView view = NetworkView.of(network, inputTypeOf(input));
        INDArray dl4jInput = input.castTo(network.getLayerWiseConfigurations().getDataType());
        return verify(view, onnxFile, input, activations(network, view, dl4jInput));
    }

    /**
     * DL4J's activation of every vertex, from DL4J's own vertex forward passes run one by one (inference mode, no
     * workspaces), each fed copies of its inputs. The activations map of {@code feedForward} cannot be trusted for
     * intermediate vertices: later layers work in place (an ActivationLayer after an Add rewrites the Add's array),
     * so entries may hold what a later layer made of them; and {@code output()} fails with a workspace error on a
     * graph that ends in BatchNormalization.
     */
    static Map<String, INDArray> activations(ComputationGraph graph, NetworkView view, INDArray input) {
        LayerWorkspaceMgr noWorkspaces = LayerWorkspaceMgr.noWorkspaces();
        Map<String, INDArray> acts = new HashMap<>();
        acts.put(view.inputName, input);
        graph.setInput(0, input); // preprocessors read the batch size from the graph's inputs
        try {
            for (NetworkView.Vertex v : view.vertices) {
                org.deeplearning4j.nn.graph.vertex.GraphVertex runtime = graph.getVertex(v.name());
                for (int i = 0; i < v.inputs().size(); i++) {
                    runtime.setInput(i, acts.get(v.inputs().get(i)).dup(), noWorkspaces);
                }
                acts.put(v.name(), runtime.doForward(false, noWorkspaces).dup());
                runtime.clear();
            }
        } finally {
            graph.clear();
        }
        return acts;
    }

    static Map<String, INDArray> activations(MultiLayerNetwork network, NetworkView view, INDArray input) {
        LayerWorkspaceMgr noWorkspaces = LayerWorkspaceMgr.noWorkspaces();
        Map<String, INDArray> acts = new HashMap<>();
        INDArray x = input;
        try {
            for (int i = 0; i < view.vertices.size(); i++) {
                x = x.dup();
                if (view.vertices.get(i).preProcessor() != null) {
                    x = view.vertices.get(i).preProcessor().preProcess(x, (int) input.size(0), noWorkspaces);
                }
                x = network.getLayer(i).activate(x, false, noWorkspaces).dup();
                acts.put(view.vertices.get(i).name(), x);
            }
        } finally {
            network.clearLayersStates();
        }
        return acts;
    }

    private OnnxVerification verify(NetworkView view, Path onnxFile, INDArray input, Map<String, INDArray> dl4j) {
        List<OnnxVerification.OutputCheck> checks;
        try (OnnxModel model = OnnxModel.open(onnxFile, intraOpThreads)) {
            checks = compare(view, model, input, dl4j, model.outputNames());
        }
        OnnxVerification result = new OnnxVerification((int) input.size(0), tolerance, checks);
        if (result.passed()) {
            return result;
        }
        StringBuilder msg = new StringBuilder("ONNX model ").append(onnxFile).append(" does not match DL4J on ")
                .append(input.size(0)).append(" inputs (tolerance ").append(tolerance).append("):");
        for (OnnxVerification.OutputCheck c : checks) {
            if (!c.passes(tolerance)) {
                msg.append(" output '").append(c.name()).append("' of layer ").append(c.vertex())
                        .append(" max abs diff ").append(String.format("%.3g", c.maxAbsDiff()));
                if (c.argmaxMismatches() > 0) {
                    msg.append(", argmax differs on ").append(c.argmaxMismatches()).append(" of ")
                            .append(input.size(0));
                }
                msg.append(';');
            }
        }
        msg.append(' ').append(firstDivergence(view, onnxFile, input, dl4j));
        throw new OnnxVerificationException(msg.toString(), result);
    }

    private List<OnnxVerification.OutputCheck> compare(NetworkView view, OnnxModel model, INDArray input,
                                                       Map<String, INDArray> dl4j, List<String> names) {
        Map<String, INDArray> ort = model.outputs(input, names);
        List<OnnxVerification.OutputCheck> checks = new ArrayList<>();
        for (String name : names) {
            INDArray expected = dl4j.get(name);
            NetworkView.Vertex vertex = view.vertex(name);
            if (vertex == null || expected == null) {
                throw new IllegalArgumentException("ONNX output '" + name + "' is not a vertex of the DL4J "
                        + view.kind + "; was the file exported from this network?");
            }
            INDArray actual = ort.get(name);
            if (!Arrays.equals(expected.shape(), actual.shape())) {
                checks.add(new OnnxVerification.OutputCheck(name, vertex.describe(), Double.POSITIVE_INFINITY, -1));
                continue;
            }
            INDArray e = expected.castTo(DataType.DOUBLE);
            INDArray a = actual.castTo(DataType.DOUBLE);
            double diff = e.sub(a).amaxNumber().doubleValue();
            if (Double.isNaN(diff)) {
                diff = Double.POSITIVE_INFINITY;
            }
            int mismatches = -1;
            if (view.outputNames.contains(name) && e.rank() == 2) {
                INDArray diffRows = Nd4j.argMax(e, 1).neq(Nd4j.argMax(a, 1));
                mismatches = diffRows.castTo(DataType.INT).sumNumber().intValue();
            }
            checks.add(new OnnxVerification.OutputCheck(name, vertex.describe(), diff, mismatches));
        }
        return checks;
    }

    /**
     * Exposes, in a copy of the file's own graph, every value named after a DL4J vertex (the exporter's naming) and
     * compares them in topological order: this localises exporter bugs and stale files alike.
     */
    private String firstDivergence(NetworkView view, Path onnxFile, INDArray input, Map<String, INDArray> dl4j) {
        try {
            Onnx.ModelProto model = Onnx.ModelProto.parseFrom(Files.readAllBytes(onnxFile));
            Onnx.GraphProto.Builder graph = model.getGraph().toBuilder();
            Set<String> produced = new HashSet<>();
            graph.getNodeList().forEach(n -> produced.addAll(n.getOutputList()));
            Set<String> exposed = new HashSet<>();
            graph.getOutputList().forEach(o -> exposed.add(o.getName()));
            List<String> names = new ArrayList<>();
            for (NetworkView.Vertex v : view.vertices) {
                if (!produced.contains(v.name())) {
                    continue;
                }
                names.add(v.name());
                if (exposed.add(v.name())) {
                    graph.addOutput(Onnx.ValueInfoProto.newBuilder().setName(v.name()).setType(Onnx.TypeProto
                            .newBuilder().setTensorType(Onnx.TypeProto.Tensor.newBuilder()
                                    .setElemType(Onnx.TensorProto.DataType.FLOAT.getNumber()))));
                }
            }
            byte[] everything = model.toBuilder().setGraph(graph).build().toByteArray();
            try (OnnxModel all = OnnxModel.open(everything, intraOpThreads)) {
                for (OnnxVerification.OutputCheck c : compare(view, all, input, dl4j, names)) {
                    if (c.maxAbsDiff() > tolerance) {
                        return "First vertex to diverge: " + c.vertex() + ", max abs diff "
                                + String.format("%.3g", c.maxAbsDiff()) + ".";
                    }
                }
            }
            return "No vertex named in the file diverges beyond the tolerance.";
        } catch (IOException | RuntimeException e) {
            return "(could not localise the divergence: " + e.getMessage() + ")";
        }
    }

    /** [N, C, H, W] is an NCHW image batch, [N, F] a feature batch. */
    static InputType inputTypeOf(INDArray input) {
        long[] s = input.shape();
        return switch (s.length) {
            case 4 -> InputType.convolutional(s[2], s[3], s[1]);
            case 2 -> InputType.feedForward(s[1]);
            default -> throw new IllegalArgumentException("input must be [N, C, H, W] or [N, features], got "
                    + Arrays.toString(s));
        };
    }
}
