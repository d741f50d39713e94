package org.kdspark.kd.zoo;

import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/**
 * What the {@value ModelZoo#OUTPUT} loss layer does on top of the logits: its activation and loss function.
 *
 * <p>A teacher uses {@link #softmaxCrossEntropy()}. A KD student passes {@link Activation#IDENTITY} and a loss
 * that reads raw logits and wider labels (e.g. {@code [one-hot | teacher logits]}); the loss instance is
 * serialised into the model JSON, so it needs a no-arg constructor and Jackson-annotated fields.
 */
public record OutputHead(ILossFunction loss, Activation activation) implements Heads {

    public OutputHead {
        Objects.requireNonNull(loss, "loss");
        Objects.requireNonNull(activation, "activation");
    }

    /** Softmax + multi-class cross-entropy against one-hot labels: the teacher and the hard-label baseline. */
    public static OutputHead softmaxCrossEntropy() {
        return new OutputHead(new LossMCXENT(), Activation.SOFTMAX);
    }

    /** Identity activation and the given loss, which receives raw logits: the KD student. */
    public static OutputHead onLogits(ILossFunction loss) {
        return new OutputHead(loss, Activation.IDENTITY);
    }

    /** Adds the single output layer {@value ModelZoo#OUTPUT} on the logits. */
    @Override
    public String[] addTo(GraphBuilder graph, Map<String, Tap> taps) {
        graph.addLayer(ModelZoo.OUTPUT, new LossLayer.Builder(loss).activation(activation).build(), ModelZoo.LOGITS);
        return new String[] {ModelZoo.OUTPUT};
    }
}
