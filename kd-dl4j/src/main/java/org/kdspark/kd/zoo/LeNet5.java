package org.kdspark.kd.zoo;

import java.util.List;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.nd4j.linalg.activations.Activation;

/**
 * LeNet-5 (LeCun et al., "Gradient-based learning applied to document recognition", Proc. IEEE 1998) with a
 * width multiplier, ReLU (or tanh) and max pooling: conv5x5(6w, same) - pool - conv5x5(16w, valid) - pool -
 * dense(120w) - dense(84w). On 28x28 input the first convolution keeps 28x28, as the original did on its
 * 32x32 padded digits. {@code width: 0.5} is the "LeNet-5-half" student.
 *
 * <p>Taps: {@code block1} {@code [6w, H/2, W/2]}, {@code block2} {@code [16w, (H/2-4)/2, (W/2-4)/2]},
 * {@code hidden1} {@code [120w]}, {@code embedding} {@code [84w]}.
 */
final class LeNet5 implements Architecture {

    static final String WIDTH = "width";
    static final String ACTIVATION = "activation";

    private static final List<ParamSpec> PARAMS = List.of(
            ParamSpec.real(WIDTH, 1.0, 0.01, "multiplier of every layer's width (6, 16, 120, 84); 0.5 = LeNet-5-half"),
            ParamSpec.choice(ACTIVATION, "relu", List.of("relu", "tanh"), "activation of the hidden layers"));

    @Override
    public String name() {
        return "lenet5";
    }

    @Override
    public String description() {
        return "LeNet-5 with a width multiplier: conv5x5-pool-conv5x5-pool-dense-dense";
    }

    @Override
    public List<ParamSpec> params() {
        return PARAMS;
    }

    static int scaled(int base, double width) {
        return Math.max(1, (int) Math.round(base * width));
    }

    @Override
    public String addBody(GraphBlocks b, ModelParams p) {
        double w = p.real(WIDTH);
        Activation act = Activation.valueOf(p.string(ACTIVATION).toUpperCase());
        b.conv("conv1", b.input(), scaled(6, w), 5, 1, act);
        b.tap(b.maxPool("block1", "conv1", 2, 2));
        b.graph().addLayer("conv2", new ConvolutionLayer.Builder(5, 5).nOut(scaled(16, w))
                .convolutionMode(ConvolutionMode.Truncate).activation(act).build(), "block1");
        b.tap(b.maxPool("block2", "conv2", 2, 2));
        b.tap(b.dense("hidden1", "block2", scaled(120, w), act));
        b.tap(b.dense("embedding", "hidden1", scaled(84, w), act));
        return "embedding";
    }
}
