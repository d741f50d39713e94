package org.kdspark.kd.method;

import java.util.Map;
import org.kdspark.kd.loss.Formulas;
import org.kdspark.kd.loss.KnowledgeDistillationLoss;
import org.kdspark.kd.loss.ScaledLoss;

/**
 * {@code kd}: Hinton's soft targets, {@code weight * [alpha * CE(y,s) + (1 - alpha) * T^2 * KL(softmax(t/T) ||
 * softmax(s/T))]} via {@link KnowledgeDistillationLoss} on the logits.
 *
 * <p>With the default {@code alpha = 0} the term is the soft part only and the hard labels come from the
 * objective's {@code ce} term ({@code {ce: 0.1, kd: {weight: 0.9}}} is Hinton's weighting); {@code {kd: {alpha:
 * 0.1}}} alone gives the same objective in one head. Teacher signal: {@code logits}. Labels:
 * {@code [one-hot | teacher logits]}.
 *
 * <p>Paper: G. Hinton, O. Vinyals, J. Dean, "Distilling the Knowledge in a Neural Network", arXiv:1503.02531.
 * Config: {@code kd: {weight: 0.9, temperature: 4}}.
 */
public final class KdMethod extends LogitsMethod {

    private static final long serialVersionUID = 1L;

    public static final MethodSpec SPEC = new MethodSpec("kd",
            "Hinton soft targets: T^2 * KL(softmax(t/T) || softmax(s/T)) on the logits",
            "Hinton, Vinyals, Dean 2015, arXiv:1503.02531",
            params(Param.number("alpha", 0.0, "weight of hard-label CE inside the term; soft part gets 1 - alpha")),
            KdMethod::new,
            s -> Map.of("kd", Map.of("alpha", s.alpha(), "temperature", s.temperature())));

    private final double weight;
    private final KnowledgeDistillationLoss loss;

    private KdMethod(TermConfig config) {
        this(config.nonNegative("weight"),
                new KnowledgeDistillationLoss(config.number("alpha"), config.positive("temperature")));
    }

    /** The loss has no weight of its own; a wrapper is added only when one is needed. */
    private KdMethod(double weight, KnowledgeDistillationLoss loss) {
        super(weight == 1 ? loss : new ScaledLoss(weight, loss));
        this.weight = weight;
        this.loss = loss;
    }

    @Override
    public MethodSpec spec() {
        return SPEC;
    }

    @Override
    public String formula() {
        String t = Formulas.number(loss.temperature());
        String soft = t + "^2*KL(softmax(t/" + t + ")||softmax(s/" + t + "))";
        if (loss.alpha() == 0) {
            return Formulas.number(weight) + "*" + soft;
        }
        return Formulas.number(weight) + "*(" + loss + ")";
    }
}
