package org.kdspark.kd.train;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Collection;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/**
 * Synchronized batch normalisation (as in Peng et al. 2018, "MegDet", and PyTorch's {@code SyncBatchNorm}): during
 * training, the workers of one synchronous data-parallel step normalise with the mean and variance of the whole
 * step's minibatch instead of their own share of it, and back-propagate through those shared statistics. With
 * {@code W} workers of {@code b} examples a step is then the same computation as one step of a single network at
 * batch {@code W x b}, up to rounding; without it each worker's {@code b} examples are normalised on their own
 * ("ghost" batch norm), which trains a different student.
 *
 * <p>Per channel, over the {@code M} values of the step (examples times spatial positions):
 * <pre>
 *   forward:  mu = sum(x) / M,  var = sum((x - mu)^2) / M,  xhat = (x - mu) / sqrt(var + eps),  y = gamma xhat + beta
 *   backward: dx = gamma / sqrt(var + eps) * (dy - sum(dy) / M - xhat * sum(dy xhat) / M)
 * </pre>
 * where every sum runs over all workers: each worker sends its local sums (two per channel in each direction) to a
 * {@link Group} and gets the step's totals back. The forward sums are taken about the layer's running mean
 * {@code K} (the same on every worker), {@code sum(x - K)} and {@code sum((x - K)^2)}, so that the variance does not
 * come from the difference of two large numbers. {@code dgamma} and {@code dbeta} stay the worker's own sums: the
 * trainer sums every parameter gradient across workers anyway. The running mean and variance move towards the
 * step's statistics exactly as DL4J's {@code BatchNormalization} moves them towards a minibatch's, so every worker
 * computes the same update.
 *
 * <p>Use: {@link #synchronize(ComputationGraphConfiguration)} swaps every batch-norm layer of a configuration for
 * this one (same parameters, same layout; the parameter vector of the original network loads unchanged), then
 * {@link #attach(ComputationGraph, Group)} connects the built network's layers to the step's group. A layer with no
 * group, and every layer at inference, behaves exactly as DL4J's {@code BatchNormalization}.
 */
public final class SyncBatchNorm {

    private SyncBatchNorm() {
    }

    /** The workers of one synchronous step, as seen from one of them. */
    public interface Group {
        /**
         * Sums {@code values} and {@code count} over every worker of the step, in the same order on each, and returns
         * the totals, the same on every worker. Each worker calls it the same number of times per step, in the same
         * order (the layers' forward then backward passes).
         */
        Totals sum(long count, float[] values);
    }

    /** A {@link Group#sum}: the total count and the element-wise sums of the values. */
    public record Totals(long count, float[] values) {
    }

    /**
     * A copy of {@code conf} (iteration and epoch counts included, which {@code clone()} drops) whose batch-norm layers
     * are synchronized ones with the same settings.
     */
    public static ComputationGraphConfiguration synchronize(ComputationGraphConfiguration conf) {
        ComputationGraphConfiguration copy = ComputationGraphConfiguration.fromJson(conf.toJson());
        ObjectMapper mapper = NeuralNetConfiguration.mapper();
        for (GraphVertex vertex : copy.getVertices().values()) {
            if (vertex instanceof LayerVertex lv
                    && lv.getLayerConf().getLayer().getClass() == org.deeplearning4j.nn.conf.layers.BatchNormalization.class) {
                // every setting the original layer carries, through DL4J's own JSON form of it
                ObjectNode json = mapper.valueToTree(lv.getLayerConf().getLayer());
                json.put("@class", Conf.class.getName());
                try {
                    lv.getLayerConf().setLayer(mapper.treeToValue(json, org.deeplearning4j.nn.conf.layers.Layer.class));
                } catch (IOException e) {
                    throw new IllegalStateException("cannot copy batch-norm layer '" + lv.getLayerConf().getLayer().getLayerName() + "': " + e.getMessage(), e);
                }
            }
        }
        return copy;
    }

    /**
     * Connects every synchronized batch-norm layer of {@code net} to {@code group}; returns how many there are. The
     * synchronized passes work on host memory: a float network on ND4J's CPU backend ({@link #supported()}).
     */
    public static int attach(ComputationGraph net, Group group) {
        int n = 0;
        for (org.deeplearning4j.nn.api.Layer layer : net.getLayers()) {
            if (layer instanceof Layer sync) {
                if (!supported()) {
                    throw new IllegalStateException("synchronized batch norm runs on ND4J's CPU backend only, this JVM runs "
                            + Nd4j.getBackend().getClass().getSimpleName() + ": train with each worker's batch norm on its own share instead");
                }
                sync.join(group);
                n++;
            }
        }
        return n;
    }

    /** Whether this JVM can run synchronized batch norm: ND4J's CPU backend, whose arrays live in host memory. */
    public static boolean supported() {
        return Nd4j.getEnvironment().isCPU();
    }

    /** The configuration of a synchronized batch-norm layer: DL4J's, instantiating {@link Layer}. */
    public static final class Conf extends org.deeplearning4j.nn.conf.layers.BatchNormalization {
        private static final long serialVersionUID = 1L;

        @Override
        public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners,
                int layerIndex, INDArray paramsView, boolean initializeParams, DataType networkDataType) {
            Layer layer = new Layer(conf, networkDataType);
            layer.setListeners(listeners);
            layer.setIndex(layerIndex);
            layer.setParamsViewArray(paramsView);
            layer.setParamTable(initializer().init(conf, paramsView, initializeParams));
            layer.setConf(conf);
            return layer;
        }

        @Override
        public Conf clone() {
            return (Conf) super.clone();
        }
    }

    /**
     * The layer: DL4J's batch norm, with the training passes of the class comment while a group is attached. Those
     * passes read and write the activations' host memory in plain Java loops, two passes over the activations each way
     * (per-channel sums, then the per-channel affine map), with no temporary arrays; written as ND4J reductions and
     * broadcasts they took thirteen passes and two activation-sized allocations per layer and step. Float networks on
     * ND4J's CPU backend only ({@link #attach} checks).
     */
    public static final class Layer extends org.deeplearning4j.nn.layers.normalization.BatchNormalization {
        private Group group;
        /** The last synchronized forward pass, kept for its backward pass. */
        private Step step;

        Layer(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        private void join(Group g) {
            if (dataType != DataType.FLOAT) {
                throw new IllegalStateException("synchronized batch norm takes float networks, layer " + layerId() + " is " + dataType);
            }
            group = g;
        }

        /** A synchronized forward pass: the step's per-channel mean, variance and standard deviation, and its count. */
        private record Step(float[] mean, float[] var, float[] std, long count) {
        }

        @Override
        public INDArray preOutput(INDArray x, TrainingMode training, LayerWorkspaceMgr workspaceMgr) {
            step = null;
            if (group == null || training != TrainingMode.TRAIN) {
                return super.preOutput(x, training, workspaceMgr);
            }
            x = contiguous(x);
            Blocks blocks = blocks(x);
            int channels = blocks.channels();
            // sum(x - K) and sum((x - K)^2) per channel, about the running mean K (the same on every worker)
            float[] shift = getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN).toFloatVector();
            double[] local = new double[2 * channels];
            FloatBuffer xs = floats(x);
            for (int o = 0; o < blocks.outer(); o++) {
                for (int c = 0; c < channels; c++) {
                    int base = (o * channels + c) * blocks.inner();
                    float k = shift[c];
                    float s1 = 0;
                    float s2 = 0;
                    for (int i = base; i < base + blocks.inner(); i++) {
                        float d = xs.get(i) - k;
                        s1 += d;
                        s2 += d * d;
                    }
                    local[c] += s1;
                    local[channels + c] += s2;
                }
            }
            Totals totals = group.sum((long) blocks.outer() * blocks.inner(), toFloats(local));
            float[] mean = new float[channels];
            float[] var = new float[channels];
            float[] std = new float[channels];
            for (int c = 0; c < channels; c++) {
                double d = (double) totals.values()[c] / totals.count();
                double v = Math.max(0, (double) totals.values()[channels + c] / totals.count() - d * d);
                mean[c] = (float) (shift[c] + d);
                var[c] = (float) v;
                std[c] = (float) Math.sqrt(v + layerConf().getEps());
            }
            step = new Step(mean, var, std, totals.count());

            // y = gamma / std * (x - mean) + beta
            float[] gamma = gamma(channels);
            float[] beta = beta(channels);
            INDArray out = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, x.shape(), 'c');
            FloatBuffer ys = floats(out);
            for (int o = 0; o < blocks.outer(); o++) {
                for (int c = 0; c < channels; c++) {
                    int base = (o * channels + c) * blocks.inner();
                    float a = gamma[c] / std[c];
                    float m = mean[c];
                    float b = beta[c];
                    for (int i = base; i < base + blocks.inner(); i++) {
                        ys.put(i, a * (xs.get(i) - m) + b);
                    }
                }
            }
            return out;
        }

        @Override
        public void clear() {
            super.clear();
            step = null;
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
            if (step == null) {
                return super.backpropGradient(epsilon, workspaceMgr);
            }
            Step s = step;
            step = null;
            INDArray x = contiguous(input);
            INDArray dy = contiguous(epsilon);
            Blocks blocks = blocks(x);
            int channels = blocks.channels();
            // sum(dy) (dbeta) and sum(dy xhat) (dgamma) per channel
            double[] local = new double[2 * channels];
            FloatBuffer xs = floats(x);
            FloatBuffer dys = floats(dy);
            for (int o = 0; o < blocks.outer(); o++) {
                for (int c = 0; c < channels; c++) {
                    int base = (o * channels + c) * blocks.inner();
                    float m = s.mean()[c];
                    float s1 = 0;
                    float s2 = 0;
                    for (int i = base; i < base + blocks.inner(); i++) {
                        float g = dys.get(i);
                        s1 += g;
                        s2 += g * (xs.get(i) - m);
                    }
                    local[c] += s1;
                    local[channels + c] += s2 / s.std()[c];
                }
            }
            float[] sums = toFloats(local);
            float[] totals = group.sum(s.count(), sums).values();

            // dx = gamma / std * (dy - mean(dy) - xhat * mean(dy xhat)), the means over the whole step
            float[] gamma = gamma(channels);
            INDArray dx = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, dy.shape(), 'c');
            FloatBuffer dxs = floats(dx);
            for (int o = 0; o < blocks.outer(); o++) {
                for (int c = 0; c < channels; c++) {
                    int base = (o * channels + c) * blocks.inner();
                    float a = gamma[c] / s.std()[c];
                    float m = s.mean()[c];
                    float meanDy = (float) ((double) totals[c] / s.count());
                    float slope = (float) ((double) totals[channels + c] / s.count() / s.std()[c]);
                    for (int i = base; i < base + blocks.inner(); i++) {
                        dxs.put(i, a * (dys.get(i) - meanDy - (xs.get(i) - m) * slope));
                    }
                }
            }

            Gradient gradient = new DefaultGradient();
            if (!layerConf().isLockGammaBeta()) {
                setGradient(gradient, BatchNormalizationParamInitializer.GAMMA, Arrays.copyOfRange(sums, channels, 2 * channels));
                setGradient(gradient, BatchNormalizationParamInitializer.BETA, Arrays.copyOf(sums, channels));
            }
            runningStatisticsUpdate(s, gradient);
            return new Pair<>(gradient, dx);
        }

        private void setGradient(Gradient gradient, String param, float[] values) {
            INDArray view = gradientViews.get(param);
            view.assign(Nd4j.createFromArray(values).reshape(view.shape()));
            gradient.setGradientFor(param, view);
        }

        /** gamma per channel: the learned one or the configured constant. */
        private float[] gamma(int channels) {
            return layerConf().isLockGammaBeta() ? constant(channels, layerConf().getGamma())
                    : getParam(BatchNormalizationParamInitializer.GAMMA).toFloatVector();
        }

        /** beta per channel: the learned one or the configured constant. */
        private float[] beta(int channels) {
            return layerConf().isLockGammaBeta() ? constant(channels, layerConf().getBeta())
                    : getParam(BatchNormalizationParamInitializer.BETA).toFloatVector();
        }

        private static float[] constant(int n, double value) {
            float[] a = new float[n];
            Arrays.fill(a, (float) value);
            return a;
        }

        /** How {@code x}'s elements fall into channels, checked to be activations this layer takes. */
        private Blocks blocks(INDArray x) {
            if (x.rank() == 2) {
                return new Blocks((int) x.size(0), (int) x.size(1), 1);
            }
            if (x.rank() == 4) {
                return layerConf().getCnn2DFormat() == CNN2DFormat.NCHW
                        ? new Blocks((int) x.size(0), (int) x.size(1), (int) (x.size(2) * x.size(3)))
                        : new Blocks((int) (x.size(0) * x.size(1) * x.size(2)), (int) x.size(3), 1);
            }
            throw new IllegalStateException("synchronized batch norm takes activations of rank 2 or 4, layer " + layerId() + " got rank " + x.rank());
        }

        /**
         * The "gradient" DL4J's updater subtracts from the running mean and variance (no division by the minibatch,
         * see {@link #updaterDivideByMinibatch}): {@code (1 - decay) (running - step)}, and for the log10(std)
         * parameterisation {@code log10(std_t) - log10(std_t+1)}; as DL4J's own batch norm, with the step's statistics.
         */
        private void runningStatisticsUpdate(Step s, Gradient gradient) {
            double decay = layerConf().getDecay();
            INDArray globalMean = getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN);
            INDArray dMean = gradientViews.get(BatchNormalizationParamInitializer.GLOBAL_MEAN);
            dMean.assign(globalMean.sub(Nd4j.createFromArray(s.mean()).reshape(globalMean.shape())).muli(1 - decay));
            gradient.setGradientFor(BatchNormalizationParamInitializer.GLOBAL_MEAN, dMean);
            if (layerConf().isUseLogStd()) {
                INDArray log10Std = getParam(BatchNormalizationParamInitializer.GLOBAL_LOG_STD);
                INDArray dLog10Std = gradientViews.get(BatchNormalizationParamInitializer.GLOBAL_LOG_STD);
                INDArray var = Transforms.pow(Nd4j.valueArrayOf(log10Std.shape(), 10.0, dataType), log10Std.mul(2), false);
                INDArray next = var.mul(decay).addi(Nd4j.createFromArray(s.var()).reshape(var.shape()).mul(1 - decay));
                // log10(std_t / std_t+1) = log10(var_t / var_t+1) / 2
                dLog10Std.assign(Transforms.log(var.divi(next), false).muli(1 / (2 * Math.log(10))));
                gradient.setGradientFor(BatchNormalizationParamInitializer.GLOBAL_LOG_STD, dLog10Std);
            } else {
                INDArray globalVar = getParam(BatchNormalizationParamInitializer.GLOBAL_VAR);
                INDArray dVar = gradientViews.get(BatchNormalizationParamInitializer.GLOBAL_VAR);
                dVar.assign(globalVar.sub(Nd4j.createFromArray(s.var()).reshape(globalVar.shape())).muli(1 - decay));
                gradient.setGradientFor(BatchNormalizationParamInitializer.GLOBAL_VAR, dVar);
            }
        }
    }

    /**
     * An activation tensor's elements as blocks: element {@code (o, c, i)} at {@code (o * channels + c) * inner + i}
     * (NCHW: outer = examples, inner = H x W; NHWC and dense: inner = 1).
     */
    private record Blocks(int outer, int channels, int inner) {
    }

    private static INDArray contiguous(INDArray a) {
        return a.ordering() == 'c' && !a.isView() ? a : a.dup('c');
    }

    /** A c-ordered, non-view float array's elements in host memory, from index 0. */
    private static FloatBuffer floats(INDArray a) {
        return a.data().asNioFloat().slice();
    }

    private static float[] toFloats(double[] values) {
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) values[i];
        }
        return f;
    }
}
