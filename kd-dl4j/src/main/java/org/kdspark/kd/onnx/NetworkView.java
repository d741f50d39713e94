package org.kdspark.kd.onnx;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A {@link ComputationGraph} or a {@link MultiLayerNetwork} seen the same way: one input, vertices in topological
 * order, each with its inputs, configuration, parameters and activation types.
 */
final class NetworkView {

    /**
     * One DL4J vertex. {@code layer} is set for layer vertices (and every layer of a MultiLayerNetwork),
     * {@code vertex} for the other graph vertices; {@code inputTypes} are the types arriving at the vertex
     * (before its preprocessor).
     */
    record Vertex(String name, Layer layer, GraphVertex vertex, InputPreProcessor preProcessor, List<String> inputs,
                  Map<String, INDArray> params, List<InputType> inputTypes, InputType outputType) {

        /** What the vertex is, for messages: {@code 'conv1' (ConvolutionLayer)}. */
        String describe() {
            Object what = layer != null ? layer : vertex;
            return "'" + name + "' (" + what.getClass().getSimpleName() + ")";
        }
    }

    final String kind;
    final String inputName;
    final InputType inputType;
    final List<Vertex> vertices;
    final List<String> outputNames;

    private NetworkView(String kind, String inputName, InputType inputType, List<Vertex> vertices,
                        List<String> outputNames) {
        this.kind = kind;
        this.inputName = inputName;
        this.inputType = inputType;
        this.vertices = vertices;
        this.outputNames = outputNames;
    }

    Vertex vertex(String name) {
        for (Vertex v : vertices) {
            if (v.name().equals(name)) {
                return v;
            }
        }
        return null;
    }

    static NetworkView of(ComputationGraph graph, InputType inputType) {
        ComputationGraphConfiguration conf = graph.getConfiguration();
        if (conf.getNetworkInputs().size() != 1) {
            throw new UnsupportedModelException("only single-input graphs can be exported; this graph has inputs "
                    + conf.getNetworkInputs());
        }
        String inputName = conf.getNetworkInputs().get(0);
        Map<String, InputType> types = new HashMap<>(conf.clone().getLayerActivationTypes(inputType));
        types.put(inputName, inputType);

        List<String> order = conf.getTopologicalOrderStr();
        if (order == null) {
            order = new ArrayList<>();
            for (int i : graph.topologicalSortOrder()) {
                order.add(graph.getVertices()[i].getVertexName());
            }
        }
        List<Vertex> vertices = new ArrayList<>();
        for (String name : order) {
            if (conf.getNetworkInputs().contains(name)) {
                continue;
            }
            GraphVertex gv = conf.getVertices().get(name);
            List<String> inputs = List.copyOf(conf.getVertexInputs().get(name));
            List<InputType> inTypes = new ArrayList<>();
            for (String in : inputs) {
                inTypes.add(types.get(in));
            }
            if (gv instanceof LayerVertex lv) {
                Layer layer = lv.getLayerConf().getLayer();
                Map<String, INDArray> params = graph.getLayer(name).paramTable();
                vertices.add(new Vertex(name, layer, null, lv.getPreProcessor(), inputs, params, inTypes,
                        outputType(layer, lv.getPreProcessor(), inTypes.get(0), types.get(name))));
            } else {
                vertices.add(new Vertex(name, null, gv, null, inputs, Map.of(), inTypes, types.get(name)));
            }
        }
        return new NetworkView("ComputationGraph", inputName, inputType, vertices,
                List.copyOf(conf.getNetworkOutputs()));
    }

    /** Layers are named by their configured layer name, else {@code layer<i>}; the input is {@code input}. */
    static NetworkView of(MultiLayerNetwork network, InputType inputType) {
        MultiLayerConfiguration conf = network.getLayerWiseConfigurations();
        List<InputType> outTypes = conf.clone().getLayerActivationTypes(inputType);
        List<Vertex> vertices = new ArrayList<>();
        String previous = "input";
        InputType previousType = inputType;
        for (int i = 0; i < conf.getConfs().size(); i++) {
            Layer layer = conf.getConf(i).getLayer();
            String name = layerName(layer, i);
            InputType outType = outputType(layer, conf.getInputPreProcess(i), previousType, outTypes.get(i));
            vertices.add(new Vertex(name, layer, null, conf.getInputPreProcess(i), List.of(previous),
                    network.getLayer(i).paramTable(), List.of(previousType), outType));
            previous = name;
            previousType = outType;
        }
        return new NetworkView("MultiLayerNetwork", "input", inputType, vertices, List.of(previous));
    }

    /**
     * DL4J's output type, except for LossLayer, which DL4J reports as {@code feedForward(nOut)} with nOut usually
     * unset (0) although it is element-wise: its output has its input's type.
     */
    private static InputType outputType(Layer layer, InputPreProcessor pre, InputType in, InputType reported) {
        if (layer instanceof org.deeplearning4j.nn.conf.layers.LossLayer && in != null) {
            return pre == null ? in : pre.getOutputType(in);
        }
        return reported;
    }

    /** The name {@link #of(MultiLayerNetwork, InputType)} gives layer {@code index}. */
    static String layerName(Layer layer, int index) {
        String name = layer.getLayerName();
        return name == null || name.isBlank() ? "layer" + index : name;
    }
}
