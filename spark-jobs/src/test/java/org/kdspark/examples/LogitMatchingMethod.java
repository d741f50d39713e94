package org.kdspark.examples;

import java.util.List;
import java.util.Map;
import org.kdspark.kd.loss.HintLoss;
import org.kdspark.kd.method.Labels;
import org.kdspark.kd.method.LogitsMethod;
import org.kdspark.kd.method.MethodSpec;
import org.kdspark.kd.method.Methods;
import org.kdspark.kd.method.Minibatch;
import org.kdspark.kd.method.Param;
import org.kdspark.kd.method.Shorthand;
import org.kdspark.kd.method.TermConfig;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code logitmatch}: the student regresses the teacher's logits, {@code weight / 2 * ||s - t||^2} per example, summed
 * over the classes and averaged over the minibatch: the distillation of Ba and Caruana, "Do Deep Nets Really Need to
 * be Deep?", NeurIPS 2014, arXiv:1312.6184, eq. (1). Teacher signal: {@code logits}. Config:
 * {@code {ce: 1, logitmatch: {weight: 0.1}}}, or {@code distill.method: logitmatch} for that with weight 1.
 */
public final class LogitMatchingMethod extends LogitsMethod {

    private static final long serialVersionUID = 1L;

    public static final MethodSpec SPEC = new MethodSpec("logitmatch",
            "logit matching: half the squared L2 distance between the student's and the teacher's logits",
            "Ba, Caruana 2014, arXiv:1312.6184",
            List.of(Param.number("weight", 1.0, "multiplier of the half squared distance")),
            LogitMatchingMethod::new,
            s -> Shorthand.withHardLabels("logitmatch", Map.of()));

    private final double weight;

    private LogitMatchingMethod(TermConfig config) {
        this(config.nonNegative("weight"));
    }

    private LogitMatchingMethod(double weight) {
        super(new HintLoss(weight));
        this.weight = weight;
    }

    @Override
    public MethodSpec spec() {
        return SPEC;
    }

    @Override
    public String formula() {
        return weight + "/2*||s - t||^2";
    }

    /** The teacher's logits alone: the loss compares them with the student's, class by class. */
    @Override
    public INDArray labels(Minibatch batch) {
        return Labels.teacherLogits(batch);
    }

    /** Registers the method: {@code META-INF/services/org.kdspark.kd.method.Methods$Plugin} names this class. */
    public static final class Plugin implements Methods.Plugin {
        @Override
        public List<MethodSpec> methods() {
            return List.of(SPEC);
        }
    }
}
