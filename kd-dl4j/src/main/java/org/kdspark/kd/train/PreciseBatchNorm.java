package org.kdspark.kd.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Batch-norm running statistics recomputed from the network's weights as they are ("precise BN": Wu and Johnson 2021,
 * "Rethinking 'Batch' in BatchNorm"; Detectron2's {@code PreciseBN}). DL4J's batch norm keeps an exponential moving
 * average of the minibatches' statistics (decay 0.9, so mostly the last ten steps), taken while the weights moved; when
 * the last steps of training move the activations, inference normalises with statistics that no longer fit them, and
 * test accuracy drops while the training loss does not (measured: a student at 85.94% with its moving averages,
 * 88.47% normalising each test batch with its own statistics).
 *
 * <p>{@link #recompute} runs the given inputs forward in training mode, batch by batch (every batch-norm layer
 * normalises with its batch's statistics, as in training), and sets each layer's running mean and variance to the mean
 * and variance of that layer's inputs over every value of every batch. Training itself never reads the running
 * statistics, so recomputing them changes inference only, never the course of training.
 */
public final class PreciseBatchNorm {

    private PreciseBatchNorm() {
    }

    /**
     * Sets the running statistics of every batch-norm layer of {@code net} from {@code inputs} (batches of the network's
     * single input); returns how many layers it set.
     *
     * @throws IllegalArgumentException when {@code inputs} is empty or a batch-norm layer's input is not a layer's output
     */
    public static int recompute(ComputationGraph net, List<INDArray> inputs) {
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("precise batch norm needs at least one batch of inputs");
        }
        List<Layer> layers = layers(net);
        if (layers.isEmpty()) {
            return 0;
        }
        for (INDArray x : inputs) {
            Map<String, INDArray> activations = net.feedForward(new INDArray[] {x}, true, true);
            for (Layer layer : layers) {
                INDArray in = activations.get(layer.input());
                if (in == null) {
                    throw new IllegalArgumentException("precise batch norm: the input of batch-norm layer '" + layer.name() + "' is vertex '"
                            + layer.input() + "', which is not a layer; only layers' outputs are available");
                }
                if (layer.preProcessor() != null) {
                    in = layer.preProcessor().preProcess(in, (int) in.size(0), LayerWorkspaceMgr.noWorkspaces());
                }
                layer.add(in);
            }
        }
        for (Layer layer : layers) {
            layer.store(net.getLayer(layer.name()));
        }
        return layers.size();
    }

    /** Whether {@code net} has batch-norm layers (when not, {@link #recompute} has nothing to do). */
    public static boolean applies(ComputationGraph net) {
        return !layers(net).isEmpty();
    }

    private static List<Layer> layers(ComputationGraph net) {
        List<Layer> layers = new ArrayList<>();
        for (Map.Entry<String, GraphVertex> e : net.getConfiguration().getVertices().entrySet()) {
            if (e.getValue() instanceof LayerVertex lv
                    && lv.getLayerConf().getLayer() instanceof org.deeplearning4j.nn.conf.layers.BatchNormalization bn) {
                layers.add(new Layer(e.getKey(), net.getConfiguration().getVertexInputs().get(e.getKey()).get(0), lv.getPreProcessor(), bn));
            }
        }
        return layers;
    }

    /** One batch-norm layer: where its input comes from, and the running sums of its input's values per channel. */
    private static final class Layer {
        private final String name;
        private final String input;
        private final InputPreProcessor preProcessor;
        private final org.deeplearning4j.nn.conf.layers.BatchNormalization conf;
        private double[] sum;
        private double[] sumOfSquares;
        private long count;

        Layer(String name, String input, InputPreProcessor preProcessor, org.deeplearning4j.nn.conf.layers.BatchNormalization conf) {
            this.name = name;
            this.input = input;
            this.preProcessor = preProcessor;
            this.conf = conf;
        }

        String name() {
            return name;
        }

        String input() {
            return input;
        }

        InputPreProcessor preProcessor() {
            return preProcessor;
        }

        /** Adds a batch: per channel, its values' count, mean and (population) variance, as sums in double. */
        void add(INDArray x) {
            int[] reduce = x.rank() == 2 ? new int[] {0} : conf.getCnn2DFormat() == CNN2DFormat.NCHW ? new int[] {0, 2, 3} : new int[] {0, 1, 2};
            double[] mean = x.mean(reduce).toDoubleVector();
            double[] var = x.var(false, reduce).toDoubleVector();
            long n = x.length() / mean.length;
            if (sum == null) {
                sum = new double[mean.length];
                sumOfSquares = new double[mean.length];
            }
            for (int c = 0; c < mean.length; c++) {
                sum[c] += n * mean[c];
                sumOfSquares[c] += n * (var[c] + mean[c] * mean[c]);
            }
            count += n;
        }

        /** Writes the mean and variance over every added value into the layer's running statistics. */
        void store(org.deeplearning4j.nn.api.Layer layer) {
            double[] mean = new double[sum.length];
            double[] var = new double[sum.length];
            for (int c = 0; c < sum.length; c++) {
                mean[c] = sum[c] / count;
                // a channel that never varies keeps a tiny positive variance, so that log10(std) stays finite
                var[c] = Math.max(sumOfSquares[c] / count - mean[c] * mean[c], 1e-12);
            }
            set(layer, BatchNormalizationParamInitializer.GLOBAL_MEAN, mean);
            if (conf.isUseLogStd()) {
                double[] log10Std = new double[var.length];
                for (int c = 0; c < var.length; c++) {
                    log10Std[c] = 0.5 * Math.log10(var[c]);
                }
                set(layer, BatchNormalizationParamInitializer.GLOBAL_LOG_STD, log10Std);
            } else {
                set(layer, BatchNormalizationParamInitializer.GLOBAL_VAR, var);
            }
        }

        private static void set(org.deeplearning4j.nn.api.Layer layer, String param, double[] values) {
            INDArray p = layer.getParam(param);
            p.assign(Nd4j.createFromArray(values).castTo(p.dataType()).reshape(p.shape()));
        }
    }
}
