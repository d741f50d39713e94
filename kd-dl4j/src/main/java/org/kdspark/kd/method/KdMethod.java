package org.kdspark.kd.method;

import java.util.Map;
import org.kdspark.kd.loss.Formulas;
import org.kdspark.kd.loss.KnowledgeDistillationLoss;
import org.kdspark.kd.loss.ScaledLoss;
import org.kdspark.kd.loss.StandardizedLogitsLoss;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * {@code kd}: Hinton's soft targets, {@code weight * [alpha * CE(y,s) + (1 - alpha) * T^2 * KL(softmax(t/T) ||
 * softmax(s/T))]} via {@link KnowledgeDistillationLoss} on the logits.
 *
 * <p>With the default {@code alpha = 0} the term is the soft part only and the hard labels come from the
 * objective's {@code ce} term ({@code {ce: 0.1, kd: {weight: 0.9}}} is Hinton's weighting); {@code {kd: {alpha:
 * 0.1}}} alone gives the same objective in one head. Teacher signal: {@code logits}. Labels:
 * {@code [one-hot | teacher logits]}.
 *
 * <p>With {@code standardize: true} the KL compares the z-scores of the logits ({@link StandardizedLogitsLoss}); the
 * term must then be the soft part alone ({@code alpha: 0}).
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
    private final boolean standardized;

    private KdMethod(TermConfig config) {
        this(config.nonNegative("weight"), new KnowledgeDistillationLoss(config.number("alpha"), config.positive("temperature")),
                config.flag(STANDARDIZE));
    }

    /** The loss has no weight of its own; a wrapper is added only when one is needed. */
    private KdMethod(double weight, KnowledgeDistillationLoss loss, boolean standardized) {
        super(weighted(weight, standardized ? new StandardizedLogitsLoss(requireSoftOnly(loss), true) : loss));
        this.weight = weight;
        this.loss = loss;
        this.standardized = standardized;
    }

    private static ILossFunction weighted(double weight, ILossFunction loss) {
        return weight == 1 ? loss : new ScaledLoss(weight, loss);
    }

    /** The hard labels belong to the raw logits: a standardised term must be the soft part alone. */
    private static KnowledgeDistillationLoss requireSoftOnly(KnowledgeDistillationLoss loss) {
        if (loss.alpha() != 0) {
            throw new IllegalArgumentException("kd.standardize z-scores the logits of the soft term only, and kd.alpha is "
                    + Formulas.number(loss.alpha()) + ": set kd.alpha to 0 and give the hard labels their own term, e.g. {ce: 1, kd: "
                    + "{standardize: true, ...}}");
        }
        return loss;
    }

    @Override
    public MethodSpec spec() {
        return SPEC;
    }

    @Override
    public String formula() {
        String t = Formulas.number(loss.temperature());
        String soft = standardized ? t + "^2*KL(softmax(Z(t)/" + t + ")||softmax(Z(s)/" + t + ")), Z = z-score"
                : t + "^2*KL(softmax(t/" + t + ")||softmax(s/" + t + "))";
        if (loss.alpha() == 0) {
            return Formulas.number(weight) + "*" + soft;
        }
        return Formulas.number(weight) + "*(" + loss + ")";
    }
}
