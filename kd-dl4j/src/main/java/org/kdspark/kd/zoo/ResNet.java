package org.kdspark.kd.zoo;

import java.util.List;
import org.nd4j.linalg.activations.Activation;

/**
 * The CIFAR-style residual network of He et al. ("Deep Residual Learning for Image Recognition", CVPR 2016,
 * section 4.2): a 3x3 stem, three stages of {@code n = (depth - 2) / 6} basic blocks with {@code width},
 * {@code 2 width} and {@code 4 width} channels (the last two halve H and W; their first block's shortcut is a
 * strided 1x1 convolution + batch norm), global average pooling, then the logits. ResNet-8 ({@code depth: 8},
 * {@code width: 16}) is 78k parameters; ResNet-20 is 270k.
 *
 * <p>Taps: {@code block1} {@code [w, H, W]}, {@code block2} {@code [2w, H/2, W/2]}, {@code block3}
 * {@code [4w, H/4, W/4]} (stage outputs, after the last ReLU), {@code embedding} {@code [4w]} (pooled).
 */
final class ResNet implements Architecture {

    static final String DEPTH = "depth";
    static final String WIDTH = "width";

    private static final List<ParamSpec> PARAMS = List.of(
            ParamSpec.integer(DEPTH, 8, 8, "total weighted layers, 6n+2: 8, 14, 20, 32, ..."),
            ParamSpec.integer(WIDTH, 16, 1, "channels of the first stage (doubled in each later stage)"));

    @Override
    public String name() {
        return "resnet";
    }

    @Override
    public String description() {
        return "CIFAR-style ResNet (6n+2 layers, 3 stages of basic blocks, global average pooling)";
    }

    @Override
    public List<ParamSpec> params() {
        return PARAMS;
    }

    @Override
    public String addBody(GraphBlocks b, ModelParams p) {
        int depth = p.integer(DEPTH);
        if ((depth - 2) % 6 != 0) {
            throw new IllegalArgumentException("architecture 'resnet': parameter 'depth' = " + depth
                    + " is invalid: expected 6n+2 (8, 14, 20, 32, ...)");
        }
        int n = (depth - 2) / 6;
        int width = p.integer(WIDTH);
        String x = b.convBnRelu("stem", b.input(), width, 3, 1);
        for (int stage = 1; stage <= 3; stage++) {
            int channels = width << (stage - 1);
            for (int block = 1; block <= n; block++) {
                int stride = stage > 1 && block == 1 ? 2 : 1;
                String name = "s" + stage + "b" + block;
                String out = block == n ? "block" + stage : name;
                x = basicBlock(b, name, out, x, channels, stride);
            }
            b.tap("block" + stage);
        }
        b.tap(b.globalAvgPool("embedding", x));
        return "embedding";
    }

    /** conv-BN-ReLU, conv-BN, plus the shortcut, ReLU (named {@code out}). */
    private static String basicBlock(GraphBlocks b, String name, String out, String in, int channels, int stride) {
        String y = b.convBnRelu(name + "_a", in, channels, 3, stride);
        y = b.convBn(name + "_b", y, channels, 3, 1);
        String shortcut = in;
        if (stride != 1) { // only the first block of stages 2 and 3 changes shape (and doubles channels)
            shortcut = b.convBn(name + "_proj", in, channels, 1, stride);
        }
        b.add(name + "_sum", y, shortcut);
        return b.activation(out, name + "_sum", Activation.RELU);
    }
}
