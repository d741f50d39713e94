package org.kdspark.kd.method;

import org.kdspark.kd.loss.DecoupledKnowledgeDistillationLoss;

/**
 * {@code dkd}: decoupled KD, {@code weight * T^2 * (alpha * TCKD + beta * NCKD)} via
 * {@link DecoupledKnowledgeDistillationLoss} on the logits. Teacher signal: {@code logits}. Labels:
 * {@code [one-hot | teacher logits]}. Combine with {@code ce}, as the paper does.
 *
 * <p>Paper: B. Zhao et al., "Decoupled Knowledge Distillation", CVPR 2022, arXiv:2203.08679. Config:
 * {@code dkd: {alpha: 1, beta: 8, temperature: 4}}.
 */
public final class DkdMethod extends LogitsMethod {

    private static final long serialVersionUID = 1L;

    public static final MethodSpec SPEC = new MethodSpec("dkd",
            "decoupled KD: target-class (TCKD) and non-target-class (NCKD) KL with separate weights",
            "Zhao, Cui, Song, Qiu, Liang 2022, arXiv:2203.08679",
            params(Param.number("alpha", 1.0, "weight of TCKD"),
                    Param.number("beta", 8.0, "weight of NCKD")),
            DkdMethod::new,
            Shorthand.logits("dkd"));

    private DkdMethod(TermConfig config) {
        super(standardizedIf(config, loss(config), true));
    }

    private static DecoupledKnowledgeDistillationLoss loss(TermConfig config) {
        double weight = config.nonNegative("weight");
        return new DecoupledKnowledgeDistillationLoss(weight * config.nonNegative("alpha"),
                weight * config.nonNegative("beta"), config.positive("temperature"));
    }

    @Override
    public MethodSpec spec() {
        return SPEC;
    }
}
