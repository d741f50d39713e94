package org.kdspark.kd.method;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.kdspark.kd.loss.HintLoss;
import org.kdspark.kd.zoo.Tap;
import org.nd4j.linalg.activations.Activation;

/**
 * {@code fitnets}: a trainable regressor maps a student tap onto the teacher's stored feature map ("hint"),
 * {@code weight/2 * ||u - r(s)||^2} via {@link HintLoss}.
 *
 * <p>The regressor, added as {@code <head>_regressor}, is the paper's convolutional one when both sides are
 * feature maps: a stride-1 valid convolution with kernel {@code (H_s - H_t + 1) x (W_s - W_t + 1)} from the
 * student's to the teacher's channels (1x1 when the sizes agree); it is a dense layer when the teacher signal
 * is flat. The regressor is part of the trained graph, not of the deployed student. The paper trains the hint
 * in a separate first stage; here it is one term of a joint objective, as in most later re-implementations.
 *
 * <p>Paper: A. Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015, arXiv:1412.6550. Config:
 * {@code fitnets: {weight: 0.01, student_tap: block2, teacher_tap: block2}}.
 */
public final class FitNetsMethod extends FeatureTapMethod {

    private static final long serialVersionUID = 1L;

    public static final MethodSpec SPEC = new MethodSpec("fitnets",
            "hints: a learned regressor maps a student tap onto the teacher's feature map, squared L2",
            "Romero, Ballas, Kahou, Chassang, Gatta, Bengio 2015, arXiv:1412.6550",
            params(Param.number("weight", 1.0, "multiplier of the half squared L2 distance")),
            FitNetsMethod::new,
            Shorthand.firstTap("fitnets"));

    private FitNetsMethod(TermConfig config) {
        super(new HintLoss(config.nonNegative("weight")), config);
    }

    @Override
    public MethodSpec spec() {
        return SPEC;
    }

    @Override
    String addHead(GraphBuilder graph, String name, Tap s, int[] t) {
        int[] ss = s.shape();
        String regressor = name + "_regressor";
        Heads.requireNew(graph, regressor);
        if (ss.length == 3 && t.length == 3) {
            int kh = ss[1] - t[1] + 1;
            int kw = ss[2] - t[2] + 1;
            if (kh < 1 || kw < 1) {
                throw new IllegalArgumentException("fitnets: the teacher map " + taps.teacher() + Shapes.text(t)
                        + " is larger than the student tap " + s + "; pick a deeper student tap");
            }
            graph.addLayer(regressor, new ConvolutionLayer.Builder(kh, kw).stride(1, 1).nIn(ss[0]).nOut(t[0])
                    .convolutionMode(ConvolutionMode.Truncate).activation(Activation.IDENTITY).build(), s.vertex());
        } else if (t.length == 1) {
            DenseLayer dense = new DenseLayer.Builder().nIn(s.width()).nOut(t[0]).activation(Activation.IDENTITY)
                    .build();
            if (s.isFeatureMap()) {
                graph.addLayer(regressor, dense, Heads.flatten(ss), s.vertex());
            } else {
                graph.addLayer(regressor, dense, s.vertex());
            }
        } else {
            throw new IllegalArgumentException("fitnets: cannot regress student tap " + s + " onto teacher signal "
                    + taps.teacher() + Shapes.text(t) + "; use a feature map [C,H,W] or a flat teacher signal");
        }
        return Heads.lossLayer(graph, name, loss, regressor, t);
    }
}
