package org.kdspark.kd.zoo;

import java.util.List;

/**
 * A MobileNet v1 (Howard et al., "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision
 * Applications", arXiv:1704.04861, 2017) scaled down for small images: a 3x3 stem with {@code 32w} channels, then
 * depthwise-separable blocks (3x3 depthwise-BN-ReLU, 1x1 pointwise-BN-ReLU) in three stages of {@code 64w},
 * {@code 128w}, {@code 256w} channels, each opened by a stride-2 block, global average pooling, the logits.
 * {@code width} is the paper's width multiplier alpha.
 *
 * <p>Taps: {@code block1} {@code [64w, H/2, W/2]}, {@code block2} {@code [128w, H/4, W/4]}, {@code block3}
 * {@code [256w, H/8, W/8]} (rounded up), {@code embedding} {@code [256w]}.
 */
final class MobileNet implements Architecture {

    static final String WIDTH = "width";
    static final String BLOCKS_PER_STAGE = "blocks_per_stage";

    private static final List<ParamSpec> PARAMS = List.of(
            ParamSpec.real(WIDTH, 1.0, 0.01, "width multiplier alpha applied to every layer's channels"),
            ParamSpec.integer(BLOCKS_PER_STAGE, 2, 1, "depthwise-separable blocks per stage (the first one has stride 2)"));

    @Override
    public String name() {
        return "mobilenet";
    }

    @Override
    public String description() {
        return "MobileNet v1 for small images: depthwise-separable blocks in 3 stages, width multiplier";
    }

    @Override
    public List<ParamSpec> params() {
        return PARAMS;
    }

    @Override
    public String addBody(GraphBlocks b, ModelParams p) {
        double w = p.real(WIDTH);
        int blocks = p.integer(BLOCKS_PER_STAGE);
        String x = b.convBnRelu("stem", b.input(), LeNet5.scaled(32, w), 3, 1);
        for (int stage = 1; stage <= 3; stage++) {
            int channels = LeNet5.scaled(32 << stage, w);
            for (int i = 1; i <= blocks; i++) {
                String name = i == blocks ? "block" + stage : "s" + stage + "ds" + i;
                x = b.depthwiseSeparable(name, x, channels, 3, i == 1 ? 2 : 1);
            }
            b.tap("block" + stage);
        }
        b.tap(b.globalAvgPool("embedding", x));
        return "embedding";
    }
}
