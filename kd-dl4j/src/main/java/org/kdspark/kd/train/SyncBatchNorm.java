package org.kdspark.kd.train;

import java.io.IOException;
import java.util.Collection;
import java.util.Map;
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
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastDivOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastSubOp;
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

    /** Connects every synchronized batch-norm layer of {@code net} to {@code group}; returns how many there are. */
    public static int attach(ComputationGraph net, Group group) {
        int n = 0;
        for (org.deeplearning4j.nn.api.Layer layer : net.getLayers()) {
            if (layer instanceof Layer sync) {
                sync.group = group;
                n++;
            }
        }
        return n;
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

    /** The layer: DL4J's batch norm, with the training passes of the class comment while a group is attached. */
    public static final class Layer extends org.deeplearning4j.nn.layers.normalization.BatchNormalization {
        private Group group;
        /** The last synchronized forward pass, kept for its backward pass. */
        private Step step;

        Layer(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        private record Step(INDArray xHat, INDArray std, INDArray mean, INDArray var, long count, int channelAxis, int[] reduceAxes) {
        }

        @Override
        public INDArray preOutput(INDArray x, TrainingMode training, LayerWorkspaceMgr workspaceMgr) {
            step = null;
            if (group == null || training != TrainingMode.TRAIN) {
                return super.preOutput(x, training, workspaceMgr);
            }
            if (x.rank() != 2 && x.rank() != 4) {
                throw new IllegalStateException("synchronized batch norm takes activations of rank 2 or 4, layer " + layerId() + " got rank " + x.rank());
            }
            x = contiguous(x.castTo(dataType));
            int ch = x.rank() == 2 || layerConf().getCnn2DFormat() == CNN2DFormat.NCHW ? 1 : 3;
            int[] reduce = x.rank() == 2 ? new int[] {0} : ch == 1 ? new int[] {0, 2, 3} : new int[] {0, 1, 2};
            int channels = (int) x.size(ch);
            long m = x.length() / channels;

            float[] shift = getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN).toFloatVector();
            float[] localMean = x.mean(reduce).toFloatVector();
            float[] localVar = x.var(false, reduce).toFloatVector();
            float[] sums = new float[2 * channels];
            for (int c = 0; c < channels; c++) {
                double d = (double) localMean[c] - shift[c];
                sums[c] = (float) (m * d);
                sums[channels + c] = (float) (m * (localVar[c] + d * d));
            }
            Totals totals = group.sum(m, sums);
            float[] mean = new float[channels];
            float[] var = new float[channels];
            for (int c = 0; c < channels; c++) {
                double d = (double) totals.values()[c] / totals.count();
                mean[c] = (float) (shift[c] + d);
                var[c] = (float) Math.max(0, (double) totals.values()[channels + c] / totals.count() - d * d);
            }
            INDArray meanArr = Nd4j.createFromArray(mean).castTo(dataType);
            INDArray varArr = Nd4j.createFromArray(var).castTo(dataType);
            INDArray std = varArr.add(layerConf().getEps());
            Transforms.sqrt(std, false);

            INDArray xHat;
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                // kept for the backward pass, so outside the forward pass's workspace from the start
                xHat = Nd4j.createUninitialized(dataType, x.shape(), 'c');
            }
            Nd4j.getExecutioner().exec(new BroadcastSubOp(x, meanArr, xHat, ch));
            Nd4j.getExecutioner().exec(new BroadcastDivOp(xHat, std, xHat, ch));
            step = new Step(xHat, std.detach(), meanArr.detach(), varArr.detach(), totals.count(), ch, reduce);

            INDArray out = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, x.shape(), 'c');
            Nd4j.getExecutioner().exec(new BroadcastMulOp(step.xHat(), gamma(channels), out, ch));
            if (!layerConf().isLockGammaBeta()) {
                Nd4j.getExecutioner().exec(new BroadcastAddOp(out, getParam(BatchNormalizationParamInitializer.BETA).reshape(channels), out, ch));
            } else if (layerConf().getBeta() != 0) {
                out.addi(layerConf().getBeta());
            }
            return out;
        }

        @Override
        public void clear() {
            super.clear();
            step = null;
        }

        private static INDArray contiguous(INDArray a) {
            return a.ordering() == 'c' && !a.isView() ? a : a.dup('c');
        }

        /** gamma as a vector of {@code channels}, the learned one or the configured constant. */
        private INDArray gamma(int channels) {
            return layerConf().isLockGammaBeta()
                    ? Nd4j.valueArrayOf(new long[] {channels}, layerConf().getGamma(), dataType)
                    : getParam(BatchNormalizationParamInitializer.GAMMA).reshape(channels);
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
            if (step == null) {
                return super.backpropGradient(epsilon, workspaceMgr);
            }
            Step s = step;
            step = null;
            int ch = s.channelAxis();
            int channels = (int) epsilon.size(ch);
            INDArray dy = contiguous(epsilon.castTo(dataType));
            INDArray dBeta = dy.sum(s.reduceAxes());
            INDArray dGamma = dy.mul(s.xHat()).sum(s.reduceAxes());
            float[] local = new float[2 * channels];
            System.arraycopy(dBeta.toFloatVector(), 0, local, 0, channels);
            System.arraycopy(dGamma.toFloatVector(), 0, local, channels, channels);
            float[] totals = group.sum(s.count(), local).values();
            float[] meanDy = new float[channels];
            float[] meanDyXhat = new float[channels];
            for (int c = 0; c < channels; c++) {
                meanDy[c] = (float) ((double) totals[c] / s.count());
                meanDyXhat[c] = (float) ((double) totals[channels + c] / s.count());
            }
            // dx = gamma / std * (dy - mean(dy) - xhat * mean(dy xhat))
            INDArray dx = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, dy.shape(), 'c');
            Nd4j.getExecutioner().exec(new BroadcastMulOp(s.xHat(), Nd4j.createFromArray(meanDyXhat).castTo(dataType), dx, ch));
            dx.rsubi(dy);
            Nd4j.getExecutioner().exec(new BroadcastSubOp(dx, Nd4j.createFromArray(meanDy).castTo(dataType), dx, ch));
            Nd4j.getExecutioner().exec(new BroadcastMulOp(dx, gamma(channels).div(s.std()), dx, ch));

            Gradient gradient = new DefaultGradient();
            Map<String, INDArray> views = gradientViews;
            if (!layerConf().isLockGammaBeta()) {
                views.get(BatchNormalizationParamInitializer.GAMMA).assign(dGamma.reshape(views.get(BatchNormalizationParamInitializer.GAMMA).shape()));
                views.get(BatchNormalizationParamInitializer.BETA).assign(dBeta.reshape(views.get(BatchNormalizationParamInitializer.BETA).shape()));
                gradient.setGradientFor(BatchNormalizationParamInitializer.GAMMA, views.get(BatchNormalizationParamInitializer.GAMMA));
                gradient.setGradientFor(BatchNormalizationParamInitializer.BETA, views.get(BatchNormalizationParamInitializer.BETA));
            }
            runningStatisticsUpdate(s, gradient);
            return new Pair<>(gradient, dx);
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
            dMean.assign(globalMean.sub(s.mean().reshape(globalMean.shape())).muli(1 - decay));
            gradient.setGradientFor(BatchNormalizationParamInitializer.GLOBAL_MEAN, dMean);
            if (layerConf().isUseLogStd()) {
                INDArray log10Std = getParam(BatchNormalizationParamInitializer.GLOBAL_LOG_STD);
                INDArray dLog10Std = gradientViews.get(BatchNormalizationParamInitializer.GLOBAL_LOG_STD);
                INDArray var = Transforms.pow(Nd4j.valueArrayOf(log10Std.shape(), 10.0, dataType), log10Std.mul(2), false);
                INDArray next = var.mul(decay).addi(s.var().reshape(var.shape()).mul(1 - decay));
                // log10(std_t / std_t+1) = log10(var_t / var_t+1) / 2
                dLog10Std.assign(Transforms.log(var.divi(next), false).muli(1 / (2 * Math.log(10))));
                gradient.setGradientFor(BatchNormalizationParamInitializer.GLOBAL_LOG_STD, dLog10Std);
            } else {
                INDArray globalVar = getParam(BatchNormalizationParamInitializer.GLOBAL_VAR);
                INDArray dVar = gradientViews.get(BatchNormalizationParamInitializer.GLOBAL_VAR);
                dVar.assign(globalVar.sub(s.var().reshape(globalVar.shape())).muli(1 - decay));
                gradient.setGradientFor(BatchNormalizationParamInitializer.GLOBAL_VAR, dVar);
            }
        }
    }
}
