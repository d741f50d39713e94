package org.kdspark.kd.method;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.kdspark.kd.loss.AttentionTransferLoss;
import org.kdspark.kd.zoo.Tap;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code at}: attention transfer, {@code beta/2 * mean_p (a_s - a_t)^2} with {@code a = normalize(sum_c A^2)}
 * via {@link AttentionTransferLoss}; {@code weight} is the paper's beta.
 *
 * <p>The student tap must be a feature map {@code [C, H, W]}. The teacher signal is either the teacher's
 * feature map {@code [C', H, W]} (its attention map is computed when labels are built) or an attention map
 * {@code [H, W]} stored precomputed; the spatial sizes must agree.
 *
 * <p>Paper: S. Zagoruyko, N. Komodakis, "Paying More Attention to Attention", ICLR 2017, arXiv:1612.03928.
 * Config: {@code at: {weight: 1000, student_tap: block2, teacher_tap: block2}}; several taps are several terms
 * ({@code at.b1}, {@code at.b2}).
 */
public final class AttentionTransferMethod extends FeatureTapMethod {

    private static final long serialVersionUID = 1L;

    public static final MethodSpec SPEC = new MethodSpec("at",
            "attention transfer: match L2-normalised spatial maps sum_c A^2 of a student and a teacher tap",
            "Zagoruyko, Komodakis 2017, arXiv:1612.03928",
            params(Param.number("weight", 1000.0, "the paper's beta")),
            AttentionTransferMethod::new,
            Shorthand.firstTap("at"));

    private AttentionTransferMethod(TermConfig config) {
        super(new AttentionTransferLoss(config.nonNegative("weight")), config);
    }

    @Override
    public MethodSpec spec() {
        return SPEC;
    }

    @Override
    String addHead(GraphBuilder graph, String name, Tap s, int[] t) {
        if (!s.isFeatureMap() || t.length < 2) {
            throw new IllegalArgumentException("at: needs feature maps; student tap " + s + ", teacher signal "
                    + taps.teacher() + Shapes.text(t));
        }
        int[] ss = s.shape();
        int th = t[t.length - 2];
        int tw = t[t.length - 1];
        if (ss[1] != th || ss[2] != tw) {
            throw new IllegalArgumentException("at: spatial sizes differ: student tap " + s + " is " + ss[1] + "x"
                    + ss[2] + ", teacher signal " + taps.teacher() + Shapes.text(t) + " is " + th + "x" + tw);
        }
        return Heads.lossLayer(graph, name, loss, s.vertex(), ss);
    }

    @Override
    public INDArray labels(Minibatch batch) {
        int[] t = batch.shapes().shape(taps.teacher());
        if (t.length == 2) {
            return Labels.signal(batch, taps.teacher());
        }
        int positions = t[1] * t[2];
        int width = t[0] * positions;
        float[] values = batch.teacher(taps.teacher());
        float[] maps = new float[batch.size() * positions];
        double[] example = new double[width];
        for (int i = 0; i < batch.size(); i++) {
            for (int k = 0; k < width; k++) {
                example[k] = values[i * width + k];
            }
            double[] q = AttentionTransferLoss.attentionMap(example, positions);
            for (int p = 0; p < positions; p++) {
                maps[i * positions + p] = (float) q[p];
            }
        }
        return Labels.matrix(maps, batch.size(), positions, batch);
    }
}
