package org.kdspark.kd.zoo;

import java.util.List;
import org.nd4j.linalg.activations.Activation;

/**
 * A multi-layer perceptron on the flattened image: dense ReLU layers (optionally batch-normalised), dropout,
 * then the logits.
 *
 * <p>Taps: {@code hidden1 .. hidden(N-1)} and {@code embedding} (the last hidden layer), each {@code [width]}.
 */
final class Mlp implements Architecture {

    static final String HIDDEN = "hidden";
    static final String DROPOUT = "dropout";
    static final String BATCH_NORM = "batch_norm";

    private static final List<ParamSpec> PARAMS = List.of(
            ParamSpec.intList(HIDDEN, List.of(256, 128), 1, "widths of the hidden layers; the last one is the 'embedding' tap"),
            ParamSpec.real(DROPOUT, 0.0, 0.0, "drop probability before the logits; 0 = none"),
            ParamSpec.bool(BATCH_NORM, false, "batch normalisation after every hidden layer"));

    @Override
    public String name() {
        return "mlp";
    }

    @Override
    public String description() {
        return "multi-layer perceptron: [dense-ReLU] x N on the flattened image";
    }

    @Override
    public List<ParamSpec> params() {
        return PARAMS;
    }

    @Override
    public String addBody(GraphBlocks b, ModelParams p) {
        List<Integer> hidden = p.intList(HIDDEN);
        boolean bn = p.bool(BATCH_NORM);
        String x = b.input();
        for (int i = 0; i < hidden.size(); i++) {
            String name = i == hidden.size() - 1 ? "embedding" : "hidden" + (i + 1);
            x = bn ? b.denseBnAct(name, x, hidden.get(i), Activation.RELU) : b.dense(name, x, hidden.get(i), Activation.RELU);
            b.tap(name);
        }
        return PlainCnn.dropout(b, x, p.real(DROPOUT), name());
    }
}
