package org.kdspark.kd.onnx;

import static org.kdspark.kd.onnx.OnnxGraphWriter.integer;
import static org.kdspark.kd.onnx.OnnxGraphWriter.ints;
import static org.kdspark.kd.onnx.OnnxGraphWriter.real;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.params.ConvolutionParamInitializer;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.deeplearning4j.nn.params.SeparableConvolutionParamInitializer;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationCube;
import org.nd4j.linalg.activations.impl.ActivationELU;
import org.nd4j.linalg.activations.impl.ActivationHardSigmoid;
import org.nd4j.linalg.activations.impl.ActivationHardTanH;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU6;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationSELU;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftPlus;
import org.nd4j.linalg.activations.impl.ActivationSoftSign;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.activations.impl.ActivationSwish;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.activations.impl.ActivationThresholdedReLU;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Writes one DL4J vertex as ONNX nodes whose final value carries the vertex's name.
 *
 * <p>Every mapping here was checked against DL4J's own output in ONNX Runtime (see {@code OnnxExporterTest}); the
 * non-obvious ones are commented where they are made.
 */
final class VertexConverter {

    static final String SUPPORTED_LAYERS = "ConvolutionLayer, SubsamplingLayer (MAX, AVG, PNORM), "
            + "BatchNormalization, ActivationLayer, DenseLayer, OutputLayer, LossLayer, "
            + "GlobalPoolingLayer (AVG, MAX, SUM, PNORM), SeparableConvolution2D, DepthwiseConvolution2D, "
            + "DropoutLayer, ZeroPaddingLayer";
    static final String SUPPORTED_VERTICES = "LayerVertex, ElementWiseVertex (Add, Subtract, Product, Average, "
            + "Max), MergeVertex, PreprocessorVertex";
    static final String SUPPORTED_PREPROCESSORS = "CnnToFeedForwardPreProcessor, FeedForwardToCnnPreProcessor";
    static final String SUPPORTED_ACTIVATIONS = "identity, relu (plain), relu6, leakyrelu, elu, selu, tanh, "
            + "sigmoid, hardsigmoid, hardtanh, softplus, softsign, swish, cube, thresholdedrelu, softmax (rank 2)";

    private static final Set<Class<?>> LAYER_CLASSES = Set.of(ConvolutionLayer.class,
            SubsamplingLayer.class, BatchNormalization.class, ActivationLayer.class, DenseLayer.class,
            OutputLayer.class, LossLayer.class, GlobalPoolingLayer.class, SeparableConvolution2D.class,
            DepthwiseConvolution2D.class, DropoutLayer.class, ZeroPaddingLayer.class);

    private final OnnxGraphWriter g;

    /**
     * Fails before anything is written when any vertex is of a kind the exporter does not know, naming them all.
     * Unsupported settings of a supported kind (a pooling type, an activation) are refused during conversion.
     */
    static void requireSupportedKinds(List<NetworkView.Vertex> vertices) {
        List<String> layers = new ArrayList<>();
        List<String> others = new ArrayList<>();
        for (NetworkView.Vertex v : vertices) {
            if (v.layer() != null && !LAYER_CLASSES.contains(v.layer().getClass())) {
                layers.add(v.describe());
            } else if (v.layer() == null && !(v.vertex() instanceof ElementWiseVertex
                    || v.vertex() instanceof MergeVertex || v.vertex() instanceof PreprocessorVertex)) {
                others.add(v.describe());
            }
        }
        if (layers.isEmpty() && others.isEmpty()) {
            return;
        }
        StringBuilder msg = new StringBuilder("Cannot export to ONNX:");
        if (!layers.isEmpty()) {
            msg.append(" unsupported layer ").append(String.join(", ", layers)).append(". Supported layers: ")
                    .append(SUPPORTED_LAYERS).append('.');
        }
        if (!others.isEmpty()) {
            msg.append(" unsupported graph vertex ").append(String.join(", ", others))
                    .append(". Supported vertices: ").append(SUPPORTED_VERTICES).append('.');
        }
        throw new UnsupportedModelException(msg.toString());
    }

    VertexConverter(OnnxGraphWriter g) {
        this.g = g;
    }

    void convert(NetworkView.Vertex v) {
        if (v.layer() != null) {
            convertLayer(v);
        } else if (v.vertex() instanceof ElementWiseVertex e) {
            elementWise(v, e.getOp());
        } else if (v.vertex() instanceof MergeVertex m) {
            // DL4J concatenates along the given axis of its NCHW / [N, features] activations.
            g.node("Concat", v.inputs(), v.name(), integer("axis", m.getMergeAxis()));
        } else if (v.vertex() instanceof PreprocessorVertex p) {
            preprocess(v, p.getPreProcessor(), v.inputs().get(0), v.inputTypes().get(0), v.name());
        } else {
            throw new UnsupportedModelException("Cannot export vertex " + v.describe()
                    + " to ONNX: unsupported graph vertex. Supported vertices: " + SUPPORTED_VERTICES);
        }
    }

    private void convertLayer(NetworkView.Vertex v) {
        String x = v.inputs().get(0);
        InputType t = v.inputTypes().get(0);
        if (v.preProcessor() != null) {
            x = preprocess(v, v.preProcessor(), x, t, v.name() + "/pre");
            t = v.preProcessor().getOutputType(t);
        }
        Layer l = v.layer();
        // Exact classes: several layers subclass the supported ones (Convolution1DLayer, Deconvolution2D,
        // CenterLossOutputLayer, Subsampling1DLayer, ...) and must not be written as their parent.
        if (l.getClass() == SeparableConvolution2D.class) {
            separable(v, (SeparableConvolution2D) l, x, cnn(v, t));
        } else if (l.getClass() == DepthwiseConvolution2D.class) {
            depthwise(v, (DepthwiseConvolution2D) l, x, cnn(v, t));
        } else if (l.getClass() == ConvolutionLayer.class) {
            convolution(v, (ConvolutionLayer) l, x, cnn(v, t));
        } else if (l.getClass() == SubsamplingLayer.class) {
            pooling(v, (SubsamplingLayer) l, x, cnn(v, t));
        } else if (l.getClass() == BatchNormalization.class) {
            batchNorm(v, (BatchNormalization) l, x, t);
        } else if (l.getClass() == ActivationLayer.class) {
            activation(v, ((ActivationLayer) l).getActivationFn(), x, v.name(), rank(v, t));
        } else if (l.getClass() == DenseLayer.class || l.getClass() == OutputLayer.class) {
            dense(v, x, t);
        } else if (l.getClass() == LossLayer.class) {
            activation(v, ((LossLayer) l).getActivationFn(), x, v.name(), rank(v, t));
        } else if (l.getClass() == GlobalPoolingLayer.class) {
            globalPooling(v, (GlobalPoolingLayer) l, x, cnn(v, t));
        } else if (l.getClass() == DropoutLayer.class) {
            g.node("Identity", List.of(x), v.name()); // dropout is the identity at inference
        } else if (l.getClass() == ZeroPaddingLayer.class) {
            zeroPadding(v, (ZeroPaddingLayer) l, x, cnn(v, t));
        } else {
            throw new UnsupportedModelException("Cannot export layer " + v.describe()
                    + " to ONNX: unsupported layer. Supported layers: " + SUPPORTED_LAYERS);
        }
    }

    // ---------------------------------------------------------------- layers

    private void convolution(NetworkView.Vertex v, ConvolutionLayer c, String x, InputType.InputTypeConvolutional in) {
        checkNchw(v, c.getCnn2dDataFormat());
        long[] pads = pads(v, c.getConvolutionMode(), c.getKernelSize(), c.getStride(), c.getDilation(),
                c.getPadding(), in);
        INDArray w = param(v, ConvolutionParamInitializer.WEIGHT_KEY); // [out, in, kh, kw], as ONNX wants
        List<String> inputs = new ArrayList<>(List.of(x, g.floatConstant(v.name() + "/W", w, w.shape())));
        if (c.hasBias()) {
            inputs.add(bias(v, ConvolutionParamInitializer.BIAS_KEY));
        }
        String z = g.node("Conv", inputs, v.name() + "/conv", ints("kernel_shape", c.getKernelSize()),
                ints("strides", c.getStride()), ints("dilations", c.getDilation()), ints("pads", pads),
                integer("group", 1));
        activation(v, c.getActivationFn(), z, v.name(), 4);
    }

    private void separable(NetworkView.Vertex v, SeparableConvolution2D c, String x,
                           InputType.InputTypeConvolutional in) {
        checkNchw(v, c.getCnn2dDataFormat());
        long[] pads = pads(v, c.getConvolutionMode(), c.getKernelSize(), c.getStride(), c.getDilation(),
                c.getPadding(), in);
        // depthwise W is [m, in, kh, kw]; ONNX grouped conv wants [in*m, 1, kh, kw] with channel c*m + j.
        INDArray dw = param(v, SeparableConvolutionParamInitializer.DEPTH_WISE_WEIGHT_KEY);
        long m = dw.size(0);
        long channels = dw.size(1);
        INDArray dwOnnx = dw.permute(1, 0, 2, 3).dup('c').reshape('c', channels * m, 1, dw.size(2), dw.size(3));
        String d = g.node("Conv", List.of(x, g.floatConstant(v.name() + "/depthwise_W", dwOnnx, dwOnnx.shape())),
                v.name() + "/depthwise", ints("kernel_shape", c.getKernelSize()), ints("strides", c.getStride()),
                ints("dilations", c.getDilation()), ints("pads", pads), integer("group", channels));
        INDArray pw = param(v, SeparableConvolutionParamInitializer.POINT_WISE_WEIGHT_KEY); // [out, in*m, 1, 1]
        List<String> inputs = new ArrayList<>(List.of(d, g.floatConstant(v.name() + "/pointwise_W", pw, pw.shape())));
        if (c.hasBias()) {
            inputs.add(bias(v, SeparableConvolutionParamInitializer.BIAS_KEY));
        }
        String z = g.node("Conv", inputs, v.name() + "/pointwise", ints("kernel_shape", 1, 1),
                ints("strides", 1, 1), ints("pads", 0, 0, 0, 0), integer("group", 1));
        activation(v, c.getActivationFn(), z, v.name(), 4);
    }

    private void depthwise(NetworkView.Vertex v, DepthwiseConvolution2D c, String x,
                           InputType.InputTypeConvolutional in) {
        checkNchw(v, c.getCnn2dDataFormat());
        long[] pads = pads(v, c.getConvolutionMode(), c.getKernelSize(), c.getStride(), c.getDilation(),
                c.getPadding(), in);
        // DL4J keeps depthwise W as [kh, kw, in, m]; ONNX wants [in*m, 1, kh, kw].
        INDArray w = param(v, ConvolutionParamInitializer.WEIGHT_KEY);
        long channels = w.size(2);
        long m = w.size(3);
        INDArray wOnnx = w.permute(2, 3, 0, 1).dup('c').reshape('c', channels * m, 1, w.size(0), w.size(1));
        List<String> inputs = new ArrayList<>(List.of(x, g.floatConstant(v.name() + "/W", wOnnx, wOnnx.shape())));
        if (c.hasBias()) {
            inputs.add(bias(v, ConvolutionParamInitializer.BIAS_KEY));
        }
        String z = g.node("Conv", inputs, v.name() + "/conv", ints("kernel_shape", c.getKernelSize()),
                ints("strides", c.getStride()), ints("dilations", c.getDilation()), ints("pads", pads),
                integer("group", channels));
        activation(v, c.getActivationFn(), z, v.name(), 4);
    }

    private void pooling(NetworkView.Vertex v, SubsamplingLayer s, String x, InputType.InputTypeConvolutional in) {
        checkNchw(v, s.getCnn2dDataFormat());
        int[] dilation = s.getDilation() == null ? new int[] {1, 1} : s.getDilation();
        long[] pads = pads(v, s.getConvolutionMode(), s.getKernelSize(), s.getStride(), dilation, s.getPadding(), in);
        boolean dilated = dilation[0] != 1 || dilation[1] != 1;
        PoolingType type = s.getPoolingType();
        if (type == PoolingType.MAX) {
            g.node("MaxPool", List.of(x), v.name(), ints("kernel_shape", s.getKernelSize()),
                    ints("strides", s.getStride()), ints("pads", pads), ints("dilations", dilation),
                    integer("ceil_mode", 0));
            return;
        }
        if (dilated) {
            throw new UnsupportedModelException("Cannot export layer " + v.describe() + " to ONNX: " + type
                    + " pooling with dilation " + Arrays.toString(dilation)
                    + " (opset 13 supports dilation for MAX pooling only)");
        }
        if (type == PoolingType.AVG) {
            // avgPoolIncludePadInDivisor is false by default in DL4J; ONNX's default (0) agrees, but say it.
            g.node("AveragePool", List.of(x), v.name(), ints("kernel_shape", s.getKernelSize()),
                    ints("strides", s.getStride()), ints("pads", pads),
                    integer("count_include_pad", s.isAvgPoolIncludePadInDivisor() ? 1 : 0), integer("ceil_mode", 0));
        } else if (type == PoolingType.PNORM) {
            g.node("LpPool", List.of(x), v.name(), ints("kernel_shape", s.getKernelSize()),
                    ints("strides", s.getStride()), ints("pads", pads), integer("p", s.getPnorm()));
        } else {
            throw new UnsupportedModelException("Cannot export layer " + v.describe() + " to ONNX: pooling type "
                    + type + " (supported: MAX, AVG, PNORM)");
        }
    }

    private void batchNorm(NetworkView.Vertex v, BatchNormalization bn, String x, InputType t) {
        long channels;
        if (t instanceof InputType.InputTypeConvolutional c) {
            checkNchw(v, bn.getCnn2DFormat());
            channels = c.getChannels();
        } else if (t instanceof InputType.InputTypeFeedForward f) {
            channels = f.getSize();
        } else {
            throw new UnsupportedModelException("Cannot export layer " + v.describe() + " to ONNX: input type "
                    + t + " (supported: convolutional NCHW or feed-forward)");
        }
        String scale;
        String shift;
        if (bn.isLockGammaBeta()) {
            scale = g.floatConstant(v.name() + "/gamma", filled(channels, bn.getGamma()), channels);
            shift = g.floatConstant(v.name() + "/beta", filled(channels, bn.getBeta()), channels);
        } else {
            scale = g.floatConstant(v.name() + "/gamma", param(v, BatchNormalizationParamInitializer.GAMMA), channels);
            shift = g.floatConstant(v.name() + "/beta", param(v, BatchNormalizationParamInitializer.BETA), channels);
        }
        String mean = g.floatConstant(v.name() + "/mean",
                param(v, BatchNormalizationParamInitializer.GLOBAL_MEAN), channels);
        INDArray variance;
        if (bn.isUseLogStd()) {
            // The default: DL4J stores log10(stdev); var = (10^x)^2.
            double[] log10Std = Nd4j.toFlattened(param(v, BatchNormalizationParamInitializer.GLOBAL_LOG_STD))
                    .toDoubleVector();
            double[] var = new double[log10Std.length];
            for (int i = 0; i < var.length; i++) {
                double std = Math.pow(10.0, log10Std[i]);
                var[i] = std * std;
            }
            variance = Nd4j.createFromArray(var);
        } else {
            variance = param(v, BatchNormalizationParamInitializer.GLOBAL_VAR);
        }
        String var = g.floatConstant(v.name() + "/var", variance, channels);
        // DL4J's BatchNormalization does not apply its configured activation; neither do we.
        g.node("BatchNormalization", List.of(x, scale, shift, mean, var), v.name(), real("epsilon", bn.getEps()));
    }

    private void dense(NetworkView.Vertex v, String x, InputType t) {
        if (!(t instanceof InputType.InputTypeFeedForward)) {
            throw new UnsupportedModelException("Cannot export layer " + v.describe() + " to ONNX: input type " + t
                    + " (dense layers take feed-forward input; a CnnToFeedForwardPreProcessor is missing)");
        }
        if (v.layer() instanceof DenseLayer d && d.hasLayerNorm()) {
            throw new UnsupportedModelException("Cannot export layer " + v.describe()
                    + " to ONNX: hasLayerNorm=true is not supported");
        }
        boolean hasBias = v.layer() instanceof DenseLayer d ? d.hasBias() : ((OutputLayer) v.layer()).hasBias();
        INDArray w = param(v, DefaultParamInitializer.WEIGHT_KEY); // [nIn, nOut]: x W + b, no transpose
        List<String> inputs = new ArrayList<>(List.of(x, g.floatConstant(v.name() + "/W", w, w.shape())));
        if (hasBias) {
            inputs.add(bias(v, DefaultParamInitializer.BIAS_KEY));
        }
        String z = g.node("Gemm", inputs, v.name() + "/gemm", real("alpha", 1.0), real("beta", 1.0),
                integer("transA", 0), integer("transB", 0));
        IActivation act = ((BaseLayer) v.layer()).getActivationFn();
        activation(v, act, z, v.name(), 2);
    }

    private void globalPooling(NetworkView.Vertex v, GlobalPoolingLayer p, String x,
                               InputType.InputTypeConvolutional in) {
        int[] dims = p.getPoolingDimensions();
        if (dims != null && !(dims.length == 2 && dims[0] == 2 && dims[1] == 3)) {
            throw new UnsupportedModelException("Cannot export layer " + v.describe() + " to ONNX: pooling dimensions "
                    + Arrays.toString(dims) + " (supported: [2, 3] of NCHW)");
        }
        String pooled = p.isCollapseDimensions() ? v.name() + "/pooled" : v.name();
        switch (p.getPoolingType()) {
            case AVG -> g.node("GlobalAveragePool", List.of(x), pooled);
            case MAX -> g.node("GlobalMaxPool", List.of(x), pooled);
            case PNORM -> g.node("GlobalLpPool", List.of(x), pooled, integer("p", p.getPnorm()));
            case SUM -> g.node("ReduceSum", List.of(x, g.int64Constant(v.name() + "/axes", new long[] {2, 3}, 2)),
                    pooled, integer("keepdims", 1));
            default -> throw new UnsupportedModelException("Cannot export layer " + v.describe()
                    + " to ONNX: pooling type " + p.getPoolingType() + " (supported: AVG, MAX, SUM, PNORM)");
        }
        if (p.isCollapseDimensions()) {
            g.node("Flatten", List.of(pooled), v.name(), integer("axis", 1));
        }
    }

    private void zeroPadding(NetworkView.Vertex v, ZeroPaddingLayer z, String x, InputType.InputTypeConvolutional in) {
        checkNchw(v, z.getDataFormat());
        int[] p = z.getPadding(); // [top, bottom, left, right]
        String pads = g.int64Constant(v.name() + "/pads", new long[] {0, 0, p[0], p[2], 0, 0, p[1], p[3]}, 8);
        g.node("Pad", List.of(x, pads), v.name(), OnnxGraphWriter.text("mode", "constant"));
    }

    // ---------------------------------------------------------------- vertices and preprocessors

    private void elementWise(NetworkView.Vertex v, ElementWiseVertex.Op op) {
        List<String> in = v.inputs();
        switch (op) {
            case Add -> g.node(in.size() == 2 ? "Add" : "Sum", in, v.name());
            case Average -> g.node("Mean", in, v.name());
            case Max -> g.node("Max", in, v.name());
            case Subtract -> {
                if (in.size() != 2) {
                    throw new UnsupportedModelException("Cannot export vertex " + v.describe()
                            + ": Subtract needs exactly 2 inputs, has " + in.size());
                }
                g.node("Sub", in, v.name());
            }
            case Product -> {
                String acc = in.get(0);
                for (int i = 1; i < in.size(); i++) {
                    String out = i == in.size() - 1 ? v.name() : v.name() + "/product" + i;
                    acc = g.node("Mul", List.of(acc, in.get(i)), out);
                }
            }
            default -> throw new UnsupportedModelException("Cannot export vertex " + v.describe()
                    + " to ONNX: element-wise op " + op + ". Supported vertices: " + SUPPORTED_VERTICES);
        }
    }

    private String preprocess(NetworkView.Vertex v, InputPreProcessor p, String x, InputType in, String out) {
        if (p instanceof CnnToFeedForwardPreProcessor c) {
            checkNchw(v, c.getFormat());
            // DL4J flattens each [C, H, W] example in c order, exactly what ONNX Flatten does.
            return g.node("Flatten", List.of(x), out, integer("axis", 1));
        }
        if (p instanceof FeedForwardToCnnPreProcessor f) {
            String shape = g.int64Constant(out + "/shape",
                    new long[] {0, f.getNumChannels(), f.getInputHeight(), f.getInputWidth()}, 4);
            return g.node("Reshape", List.of(x, shape), out);
        }
        throw new UnsupportedModelException("Cannot export " + v.describe() + " to ONNX: unsupported preprocessor "
                + p.getClass().getSimpleName() + ". Supported preprocessors: " + SUPPORTED_PREPROCESSORS);
    }

    // ---------------------------------------------------------------- activations

    private void activation(NetworkView.Vertex v, IActivation a, String x, String out, int rank) {
        if (a == null || a instanceof ActivationIdentity) {
            g.node("Identity", List.of(x), out);
        } else if (a instanceof ActivationReLU r) {
            if (nonZero(r.getMax()) || nonZero(r.getThreshold()) || nonZero(r.getNegativeSlope())) {
                throw unsupportedActivation(v, a, "relu with max/threshold/negativeSlope set");
            }
            g.node("Relu", List.of(x), out);
        } else if (a instanceof ActivationReLU6) {
            clip(x, out, 0f, 6f);
        } else if (a instanceof ActivationLReLU l) {
            g.node("LeakyRelu", List.of(x), out, real("alpha", l.getAlpha()));
        } else if (a instanceof ActivationELU e) {
            g.node("Elu", List.of(x), out, real("alpha", e.getAlpha()));
        } else if (a instanceof ActivationSELU) {
            g.node("Selu", List.of(x), out); // ONNX's default alpha/gamma are the SELU constants DL4J uses
        } else if (a instanceof ActivationTanH) {
            g.node("Tanh", List.of(x), out);
        } else if (a instanceof ActivationSigmoid) {
            g.node("Sigmoid", List.of(x), out);
        } else if (a instanceof ActivationHardSigmoid) {
            g.node("HardSigmoid", List.of(x), out, real("alpha", 0.2), real("beta", 0.5));
        } else if (a instanceof ActivationHardTanH) {
            clip(x, out, -1f, 1f);
        } else if (a instanceof ActivationSoftPlus) {
            g.node("Softplus", List.of(x), out);
        } else if (a instanceof ActivationSoftSign) {
            g.node("Softsign", List.of(x), out);
        } else if (a instanceof ActivationSwish) {
            String s = g.node("Sigmoid", List.of(x), out + "/sigmoid");
            g.node("Mul", List.of(x, s), out);
        } else if (a instanceof ActivationCube) {
            String sq = g.node("Mul", List.of(x, x), out + "/square");
            g.node("Mul", List.of(sq, x), out);
        } else if (a instanceof ActivationThresholdedReLU t) {
            g.node("ThresholdedRelu", List.of(x), out, real("alpha", t.getTheta()));
        } else if (a instanceof ActivationSoftmax) {
            if (rank != 2) {
                throw unsupportedActivation(v, a, "softmax on rank-" + rank + " activations");
            }
            g.node("Softmax", List.of(x), out, integer("axis", 1));
        } else {
            throw unsupportedActivation(v, a, "activation " + a);
        }
    }

    private void clip(String x, String out, float min, float max) {
        String lo = g.floatConstant(out + "/min", new float[] {min});
        String hi = g.floatConstant(out + "/max", new float[] {max});
        g.node("Clip", List.of(x, lo, hi), out);
    }

    private static boolean nonZero(Double d) {
        return d != null && d != 0.0;
    }

    private static UnsupportedModelException unsupportedActivation(NetworkView.Vertex v, IActivation a, String what) {
        return new UnsupportedModelException("Cannot export layer " + v.describe() + " to ONNX: unsupported "
                + what + " (" + a.getClass().getSimpleName() + "). Supported activations: " + SUPPORTED_ACTIVATIONS);
    }

    // ---------------------------------------------------------------- helpers

    /**
     * ONNX pads [top, left, bottom, right]. In Same mode DL4J pads so that out = ceil(in / stride) and puts the odd
     * pixel of padding at the bottom/right; Truncate and Strict use the configured symmetric padding.
     */
    static long[] pads(NetworkView.Vertex v, ConvolutionMode mode, int[] kernel, int[] stride, int[] dilation,
                       int[] padding, InputType.InputTypeConvolutional in) {
        if (mode == ConvolutionMode.Same) {
            long[] size = {in.getHeight(), in.getWidth()};
            long[] pads = new long[4];
            for (int i = 0; i < 2; i++) {
                long effectiveKernel = (long) (kernel[i] - 1) * dilation[i] + 1;
                long out = (size[i] + stride[i] - 1) / stride[i];
                long total = Math.max(0, (out - 1) * stride[i] + effectiveKernel - size[i]);
                pads[i] = total / 2;
                pads[i + 2] = total - total / 2;
            }
            return pads;
        }
        if (mode == ConvolutionMode.Truncate || mode == ConvolutionMode.Strict) {
            return new long[] {padding[0], padding[1], padding[0], padding[1]};
        }
        throw new UnsupportedModelException("Cannot export layer " + v.describe() + " to ONNX: convolution mode "
                + mode + " (supported: Same, Truncate, Strict)");
    }

    private static void checkNchw(NetworkView.Vertex v, CNN2DFormat format) {
        if (format != null && format != CNN2DFormat.NCHW) {
            throw new UnsupportedModelException("Cannot export " + v.describe() + " to ONNX: data format " + format
                    + " (supported: NCHW)");
        }
    }

    private static InputType.InputTypeConvolutional cnn(NetworkView.Vertex v, InputType t) {
        if (t instanceof InputType.InputTypeConvolutional c) {
            checkNchw(v, c.getFormat());
            return c;
        }
        throw new UnsupportedModelException("Cannot export layer " + v.describe() + " to ONNX: input type " + t
                + " (this layer is supported on convolutional NCHW input only)");
    }

    private static int rank(NetworkView.Vertex v, InputType t) {
        if (t instanceof InputType.InputTypeConvolutional c) {
            checkNchw(v, c.getFormat());
            return 4;
        }
        if (t instanceof InputType.InputTypeFeedForward) {
            return 2;
        }
        throw new UnsupportedModelException("Cannot export layer " + v.describe() + " to ONNX: input type " + t
                + " (supported: convolutional NCHW or feed-forward)");
    }

    private String bias(NetworkView.Vertex v, String key) {
        INDArray b = param(v, key); // [1, out] in DL4J, [out] in ONNX
        return g.floatConstant(v.name() + "/b", b, b.length());
    }

    private static INDArray param(NetworkView.Vertex v, String key) {
        Map<String, INDArray> params = v.params();
        INDArray p = params.get(key);
        if (p == null) {
            throw new IllegalStateException("layer " + v.describe() + " has no parameter '" + key + "'; it has "
                    + params.keySet());
        }
        return p;
    }

    private static float[] filled(long n, double value) {
        float[] f = new float[Math.toIntExact(n)];
        Arrays.fill(f, (float) value);
        return f;
    }
}
