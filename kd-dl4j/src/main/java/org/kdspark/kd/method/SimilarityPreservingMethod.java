package org.kdspark.kd.method;

import org.kdspark.kd.loss.SimilarityPreservingLoss;

/**
 * {@code sp}: similarity preserving, {@code gamma/b^2 * ||G_t - G_s||_F^2} with {@code G = rownorm(Q Q^T)} via
 * {@link SimilarityPreservingLoss}, relational over the minibatch; {@code weight} is the paper's gamma.
 *
 * <p>The student tap may be flat or a feature map (flattened channel-major); the teacher signal may have any
 * shape and width, since only relations between examples are compared. Labels: the teacher signal, flattened.
 *
 * <p>Paper: F. Tung, G. Mori, "Similarity-Preserving Knowledge Distillation", ICCV 2019, arXiv:1907.09682.
 * Config: {@code sp: {weight: 3000, student_tap: block3}}.
 */
public final class SimilarityPreservingMethod extends FeatureTapMethod {

    private static final long serialVersionUID = 1L;

    public static final MethodSpec SPEC = new MethodSpec("sp",
            "similarity-preserving: match the row-normalised Gram matrices of the minibatch's activations",
            "Tung, Mori 2019, arXiv:1907.09682",
            params(Param.number("weight", 3000.0, "the paper's gamma")),
            SimilarityPreservingMethod::new,
            Shorthand.firstTap("sp"));

    private SimilarityPreservingMethod(TermConfig config) {
        super(new SimilarityPreservingLoss(config.nonNegative("weight")), config);
    }

    @Override
    public MethodSpec spec() {
        return SPEC;
    }
}
