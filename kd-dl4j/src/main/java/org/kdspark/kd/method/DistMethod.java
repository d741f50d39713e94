package org.kdspark.kd.method;

import org.kdspark.kd.loss.DistLoss;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code dist}: inter- and intra-class Pearson correlation of {@code softmax(./T)} predictions,
 * {@code weight * T^2 * (beta * L_inter + gamma * L_intra)} via {@link DistLoss} on the logits; relational over
 * the minibatch. Teacher signal: {@code logits}. Labels: the teacher logits.
 *
 * <p>Paper: T. Huang et al., "Knowledge Distillation from A Stronger Teacher", NeurIPS 2022, arXiv:2205.10536.
 * Defaults are the paper's CIFAR-100 setting. Config: {@code dist: {beta: 2, gamma: 2, temperature: 4}}.
 */
public final class DistMethod extends LogitsMethod {

    private static final long serialVersionUID = 1L;

    public static final MethodSpec SPEC = new MethodSpec("dist",
            "Pearson correlation of softmax(./T) per example (inter-class) and per class over the batch (intra)",
            "Huang, You, Wang, Qian, Xu 2022, arXiv:2205.10536",
            params(Param.number("beta", 2.0, "weight of the inter-class relation"),
                    Param.number("gamma", 2.0, "weight of the intra-class relation")),
            DistMethod::new,
            Shorthand.logits("dist"));

    private DistMethod(TermConfig config) {
        super(standardizedIf(config, loss(config), false));
    }

    private static DistLoss loss(TermConfig config) {
        double weight = config.nonNegative("weight");
        return new DistLoss(weight * config.nonNegative("beta"), weight * config.nonNegative("gamma"),
                config.positive("temperature"));
    }

    @Override
    public MethodSpec spec() {
        return SPEC;
    }

    /** Relational over the batch's predictions: the hard labels play no part. */
    @Override
    public INDArray labels(Minibatch batch) {
        return Labels.teacherLogits(batch);
    }
}
