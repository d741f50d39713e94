package org.kdspark.kd.zoo;

import java.util.List;
import org.nd4j.linalg.activations.Activation;

/**
 * A VGG-style plain CNN: blocks of {@code convs_per_block} 3x3 convolutions (optionally batch-normalised) each
 * closed by a 2x2 max pool, then a dense ReLU embedding, dropout and the logits. Registered twice with different
 * defaults: {@code cnn} (the teacher) and {@code cnn-small} (the KD student).
 *
 * <p>Taps: {@code block1 .. blockN} ({@code [channels[i], H/2^i, W/2^i]}) and {@code embedding} ({@code [D]})
 * when {@code embedding > 0}.
 */
final class PlainCnn implements Architecture {

    static final String CHANNELS = "channels";
    static final String CONVS_PER_BLOCK = "convs_per_block";
    static final String EMBEDDING = "embedding";
    static final String DROPOUT = "dropout";
    static final String BATCH_NORM = "batch_norm";

    private final String name;
    private final String description;
    private final List<ParamSpec> params;

    private PlainCnn(String name, String description, List<Integer> channels, int convsPerBlock, int embedding,
                     double dropout, boolean batchNorm) {
        this.name = name;
        this.description = description;
        this.params = List.of(
                ParamSpec.intList(CHANNELS, channels, 1, "output channels of each conv block; each block halves H and W"),
                ParamSpec.integer(CONVS_PER_BLOCK, convsPerBlock, 1, "3x3 convolutions per block"),
                ParamSpec.integer(EMBEDDING, embedding, 0, "width of the dense ReLU embedding before the logits; 0 = none"),
                ParamSpec.real(DROPOUT, dropout, 0.0, "drop probability before the logits; 0 = none"),
                ParamSpec.bool(BATCH_NORM, batchNorm, "batch normalisation after every convolution and the embedding"));
    }

    /** The teacher: 3 blocks of one batch-normalised conv (32, 64, 128 channels), a 128-wide embedding, dropout 0.3. */
    static PlainCnn teacher() {
        return new PlainCnn("cnn", "teacher CNN: conv3x3-BN-ReLU-maxpool per block, dense-BN-ReLU, dropout",
                List.of(32, 64, 128), 1, 128, 0.3, true);
    }

    /** The student: 2 blocks of one batch-normalised conv (8, 16 channels) and a 32-wide embedding. */
    static PlainCnn small() {
        return new PlainCnn("cnn-small", "small student CNN: conv3x3-BN-ReLU-maxpool per block, dense-BN-ReLU",
                List.of(8, 16), 1, 32, 0.0, true);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public List<ParamSpec> params() {
        return params;
    }

    @Override
    public String addBody(GraphBlocks b, ModelParams p) {
        boolean bn = p.bool(BATCH_NORM);
        int convs = p.integer(CONVS_PER_BLOCK);
        String x = b.input();
        List<Integer> channels = p.intList(CHANNELS);
        for (int i = 0; i < channels.size(); i++) {
            String block = "block" + (i + 1);
            for (int j = 0; j < convs; j++) {
                String conv = block + "_conv" + (j + 1);
                x = bn ? b.convBnRelu(conv, x, channels.get(i), 3, 1) : b.conv(conv, x, channels.get(i), 3, 1, Activation.RELU);
            }
            x = b.maxPool(block, x, 2, 2);
            b.tap(block);
        }
        int embedding = p.integer(EMBEDDING);
        if (embedding > 0) {
            x = bn ? b.denseBnAct("embedding", x, embedding, Activation.RELU) : b.dense("embedding", x, embedding, Activation.RELU);
            b.tap("embedding");
        }
        return dropout(b, x, p.real(DROPOUT), name);
    }

    /** A {@code dropout} vertex after {@code x} if {@code p > 0}; checks {@code p < 1}. */
    static String dropout(GraphBlocks b, String x, double p, String arch) {
        if (p >= 1) {
            throw new IllegalArgumentException("architecture '" + arch + "': parameter 'dropout' = " + p
                    + " is invalid: expected a probability in [0, 1)");
        }
        return p > 0 ? b.dropout("dropout", x, p) : x;
    }
}
