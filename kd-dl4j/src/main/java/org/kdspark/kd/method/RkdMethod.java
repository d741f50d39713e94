package org.kdspark.kd.method;

import org.kdspark.kd.loss.RelationalKnowledgeDistillationLoss;

/**
 * {@code rkd}: relational KD, {@code weight * (distance * L_D + angle * L_A)} over the minibatch's pairwise
 * distances (normalised by their mean) and triplet angles, smooth-L1, via
 * {@link RelationalKnowledgeDistillationLoss}.
 *
 * <p>The student tap may be flat or a feature map (flattened channel-major); the teacher signal may have any
 * width. The angle term costs {@code O(b^3 d)} per minibatch. Labels: the teacher signal, flattened.
 *
 * <p>Paper: W. Park, D. Kim, Y. Lu, M. Cho, "Relational Knowledge Distillation", CVPR 2019, arXiv:1904.05068.
 * Config: {@code rkd: {distance: 25, angle: 50, student_tap: embedding}}.
 */
public final class RkdMethod extends FeatureTapMethod {

    private static final long serialVersionUID = 1L;

    public static final MethodSpec SPEC = new MethodSpec("rkd",
            "relational KD: match pairwise distances and triplet angles of embeddings over the minibatch",
            "Park, Kim, Lu, Cho 2019, arXiv:1904.05068",
            params(Param.number("weight", 1.0, "multiplier of the whole term"),
                    Param.number("distance", 25.0, "weight of the distance term"),
                    Param.number("angle", 50.0, "weight of the angle term")),
            RkdMethod::new,
            Shorthand.lastTap("rkd"));

    private RkdMethod(TermConfig config) {
        super(loss(config), config);
    }

    private static RelationalKnowledgeDistillationLoss loss(TermConfig config) {
        double weight = config.nonNegative("weight");
        return new RelationalKnowledgeDistillationLoss(weight * config.nonNegative("distance"),
                weight * config.nonNegative("angle"));
    }

    @Override
    public MethodSpec spec() {
        return SPEC;
    }
}
