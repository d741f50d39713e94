package org.kdspark.kd.method;

import org.kdspark.kd.loss.ProbabilisticKnowledgeTransferLoss;

/**
 * {@code pkt}: probabilistic knowledge transfer, {@code weight * mean_ij P^t_ij log(P^t_ij / P^s_ij)} with
 * {@code P} the row-normalised cosine kernel {@code (cos + 1)/2}, via {@link ProbabilisticKnowledgeTransferLoss};
 * relational over the minibatch.
 *
 * <p>The student tap may be flat or a feature map (flattened channel-major); the teacher signal may have any
 * shape and width, since only relations between examples are compared. Labels: the teacher signal, flattened.
 *
 * <p>Paper: N. Passalis, A. Tefas, "Learning Deep Representations with Probabilistic Knowledge Transfer",
 * ECCV 2018, arXiv:1803.10837. Config: {@code pkt: {weight: 1, student_tap: embedding}}.
 */
public final class PktMethod extends FeatureTapMethod {

    private static final long serialVersionUID = 1L;

    public static final MethodSpec SPEC = new MethodSpec("pkt",
            "probabilistic transfer: KL between cosine-kernel conditional distributions over the minibatch",
            "Passalis, Tefas 2018, arXiv:1803.10837",
            params(Param.number("weight", 1.0, "multiplier of the mean KL")),
            PktMethod::new,
            Shorthand.lastTap("pkt"));

    private PktMethod(TermConfig config) {
        super(new ProbabilisticKnowledgeTransferLoss(config.nonNegative("weight")), config);
    }

    @Override
    public MethodSpec spec() {
        return SPEC;
    }
}
