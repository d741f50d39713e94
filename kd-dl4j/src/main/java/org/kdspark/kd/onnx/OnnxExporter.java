package org.kdspark.kd.onnx;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import onnx.Onnx;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.kdspark.kd.provenance.Hashes;

/**
 * Writes a DL4J network as an ONNX model: opset 13, float input with a dynamic batch dimension, NCHW for images.
 *
 * <p>The ONNX graph's input keeps DL4J's input name ({@code input} for a MultiLayerNetwork); its outputs are the
 * network's outputs followed by the requested feature taps, each named after its DL4J vertex (layer name), so a
 * tap on {@code logits} is the ONNX output {@code logits}. Provenance goes into the model's
 * {@code metadata_props}: the exporter's own keys ({@code kd.*}, see {@link #METADATA_SCHEMA}) plus whatever the
 * caller passes (source model hash, code version, ...).
 *
 * <pre>{@code
 * OnnxExporter exporter = OnnxExporter.builder()
 *         .inputShape(1, 28, 28)
 *         .taps("logits")
 *         .metadata("source.sha256", sha)
 *         .build();
 * OnnxExport export = exporter.export(graph, Path.of("student.onnx"));
 * new OnnxVerifier().verify(graph, export.file(), testImages);   // throws when ORT and DL4J disagree
 * }</pre>
 *
 * <p>Supported: {@value VertexConverter#SUPPORTED_LAYERS}; {@value VertexConverter#SUPPORTED_VERTICES};
 * {@value VertexConverter#SUPPORTED_PREPROCESSORS}; activations {@value VertexConverter#SUPPORTED_ACTIVATIONS}.
 * Anything else is an {@link UnsupportedModelException} naming the vertex and its class.
 *
 * <p>Instances are immutable and thread-safe. Export is deterministic: the same network and options give the
 * same bytes (no timestamps are written).
 */
public final class OnnxExporter {

    public static final int OPSET = 13;
    /** ONNX IR version 7 is the one that introduced opset 13's generation; every current runtime reads it. */
    public static final long IR_VERSION = 7;
    /** Value of the {@code kd.schema} metadata key; readers check it. */
    public static final String METADATA_SCHEMA = "kd-onnx/1";
    public static final String PRODUCER_NAME = "kd-spark";

    private final InputType inputType;
    private final List<String> taps;
    private final Map<String, String> metadata;

    private OnnxExporter(Builder b) {
        this.inputType = Objects.requireNonNull(b.inputType,
                "inputType is required: call inputShape(channels, height, width) or inputType(...)");
        this.taps = List.copyOf(b.taps);
        this.metadata = Map.copyOf(b.metadata);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Writes {@code graph} to {@code file} (replacing it) and returns what was written. */
    public OnnxExport export(ComputationGraph graph, Path file) {
        return write(NetworkView.of(graph, inputType), file);
    }

    /** Writes {@code network} to {@code file}; layers are named as {@link NetworkView#layerName} says. */
    public OnnxExport export(MultiLayerNetwork network, Path file) {
        return write(NetworkView.of(network, inputType), file);
    }

    /** The ONNX model bytes for {@code graph}, without touching the file system. */
    public byte[] toBytes(ComputationGraph graph) {
        return model(NetworkView.of(graph, inputType)).toByteArray();
    }

    public byte[] toBytes(MultiLayerNetwork network) {
        return model(NetworkView.of(network, inputType)).toByteArray();
    }

    private OnnxExport write(NetworkView view, Path file) {
        Onnx.ModelProto model = model(view);
        byte[] bytes = model.toByteArray();
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write ONNX model to " + file, e);
        }
        List<String> outputs = model.getGraph().getOutputList().stream().map(Onnx.ValueInfoProto::getName).toList();
        Map<String, String> meta = new TreeMap<>();
        model.getMetadataPropsList().forEach(e -> meta.put(e.getKey(), e.getValue()));
        return new OnnxExport(file, view.inputName, outputs, bytes.length, Hashes.sha256(bytes), meta);
    }

    Onnx.ModelProto model(NetworkView view) {
        VertexConverter.requireSupportedKinds(view.vertices);
        OnnxGraphWriter g = new OnnxGraphWriter(view.kind);
        g.floatInput(view.inputName, dims(view.inputType, view.inputName));
        VertexConverter converter = new VertexConverter(g);
        for (NetworkView.Vertex v : view.vertices) {
            converter.convert(v);
        }
        Set<String> outputs = new LinkedHashSet<>(view.outputNames);
        for (String tap : taps) {
            if (view.vertex(tap) == null) {
                List<String> known = view.vertices.stream().map(NetworkView.Vertex::name).toList();
                throw new IllegalArgumentException("feature tap '" + tap + "' is not a vertex of this "
                        + view.kind + "; vertices: " + known);
            }
            outputs.add(tap);
        }
        for (String out : outputs) {
            g.floatOutput(out, dims(view.vertex(out).outputType(), out));
        }

        Onnx.ModelProto.Builder model = Onnx.ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .setProducerName(PRODUCER_NAME)
                .setProducerVersion(codeVersion())
                .setDocString("Exported from a DL4J " + view.kind + " by " + OnnxExporter.class.getName())
                .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setGraph(g.build());
        for (Map.Entry<String, String> e : metadata(view, outputs).entrySet()) {
            model.addMetadataProps(Onnx.StringStringEntryProto.newBuilder().setKey(e.getKey()).setValue(e.getValue()));
        }
        return model.build();
    }

    private Map<String, String> metadata(NetworkView view, Collection<String> outputs) {
        Map<String, String> meta = new TreeMap<>();
        meta.put("kd.schema", METADATA_SCHEMA);
        meta.put("kd.producer", OnnxExporter.class.getName());
        meta.put("kd.producer.version", codeVersion());
        meta.put("kd.dl4j.version", dl4jVersion());
        meta.put("kd.source.kind", view.kind);
        meta.put("kd.input", view.inputName + " " + shapeText(view.inputType, view.inputName));
        meta.put("kd.outputs", String.join(",", view.outputNames));
        List<String> tapNames = new ArrayList<>(outputs);
        tapNames.removeAll(view.outputNames);
        meta.put("kd.taps", String.join(",", tapNames));
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            if (meta.containsKey(e.getKey())) {
                throw new IllegalArgumentException("metadata key '" + e.getKey() + "' is written by the exporter "
                        + "itself; choose another key");
            }
            meta.put(e.getKey(), e.getValue());
        }
        return meta;
    }

    private static long[] dims(InputType t, String name) {
        if (t instanceof InputType.InputTypeConvolutional c) {
            return new long[] {c.getChannels(), c.getHeight(), c.getWidth()};
        }
        if (t instanceof InputType.InputTypeFeedForward f) {
            return new long[] {f.getSize()};
        }
        throw new UnsupportedModelException("Cannot export '" + name + "' to ONNX: activation type " + t
                + " (supported: convolutional NCHW or feed-forward)");
    }

    private static String shapeText(InputType t, String name) {
        StringBuilder sb = new StringBuilder("[").append(OnnxGraphWriter.BATCH_DIM);
        for (long d : dims(t, name)) {
            sb.append(',').append(d);
        }
        return sb.append(']').toString();
    }

    /** This library's version from its jar manifest; {@code dev} when run from classes. */
    static String codeVersion() {
        String v = OnnxExporter.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    private static String dl4jVersion() {
        try (InputStream in = ComputationGraph.class.getResourceAsStream(
                "/META-INF/maven/org.deeplearning4j/deeplearning4j-nn/pom.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }


    /** Options of an {@link OnnxExporter}. */
    public static final class Builder {
        private InputType inputType;
        private final List<String> taps = new ArrayList<>();
        private final Map<String, String> metadata = new TreeMap<>();

        private Builder() {
        }

        /** Image input, NCHW: the ONNX input is {@code [N, channels, height, width]}. */
        public Builder inputShape(long channels, long height, long width) {
            return inputType(InputType.convolutional(height, width, channels));
        }

        /** Any DL4J input type the exporter supports (convolutional NCHW or feed-forward). */
        public Builder inputType(InputType type) {
            this.inputType = Objects.requireNonNull(type);
            return this;
        }

        /** Vertices (layer names) to expose as extra ONNX outputs, named as in DL4J. */
        public Builder taps(String... vertexNames) {
            return taps(List.of(vertexNames));
        }

        public Builder taps(Collection<String> vertexNames) {
            taps.addAll(vertexNames);
            return this;
        }

        /** A provenance entry for {@code metadata_props}; keys the exporter writes itself are refused. */
        public Builder metadata(String key, String value) {
            metadata.put(Objects.requireNonNull(key), Objects.requireNonNull(value, "metadata value for " + key));
            return this;
        }

        public Builder metadata(Map<String, String> entries) {
            entries.forEach(this::metadata);
            return this;
        }

        public OnnxExporter build() {
            return new OnnxExporter(this);
        }
    }
}
