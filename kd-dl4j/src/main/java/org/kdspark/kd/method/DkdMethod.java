package org.kdspark.kd.method;

import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.kdspark.kd.loss.DecoupledKnowledgeDistillationLoss;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code dkd}: decoupled KD, {@code weight * T^2 * (alpha * TCKD + beta * NCKD)} via
 * {@link DecoupledKnowledgeDistillationLoss} on the logits. Teacher signal: {@code logits}. Labels:
 * {@code [one-hot | teacher logits]}. Combine with {@code ce}, as the paper does.
 *
 * <p>Paper: B. Zhao et al., "Decoupled Knowledge Distillation", CVPR 2022, arXiv:2203.08679. Config:
 * {@code dkd: {alpha: 1, beta: 8, temperature: 4}}.
 */
public final class DkdMethod implements DistillationMethod {

    private static final long serialVersionUID = 1L;

    public static final MethodSpec SPEC = new MethodSpec("dkd",
            "decoupled KD: target-class (TCKD) and non-target-class (NCKD) KL with separate weights",
            "Zhao, Cui, Song, Qiu, Liang 2022, arXiv:2203.08679",
            List.of(Param.number("weight", 1.0, "multiplier of the whole term"),
                    Param.number("alpha", 1.0, "weight of TCKD"),
                    Param.number("beta", 8.0, "weight of NCKD"),
                    Param.number("temperature", 4.0, "softmax temperature T")),
            DkdMethod::new);

    private final DecoupledKnowledgeDistillationLoss loss;

    private DkdMethod(TermConfig config) {
        double weight = config.nonNegative("weight");
        this.loss = new DecoupledKnowledgeDistillationLoss(weight * config.nonNegative("alpha"),
                weight * config.nonNegative("beta"), config.positive("temperature"));
    }

    @Override
    public MethodSpec spec() {
        return SPEC;
    }

    @Override
    public String formula() {
        return loss.toString();
    }

    @Override
    public List<String> teacherSignals() {
        return List.of(StudentTaps.LOGITS);
    }

    @Override
    public String addHead(GraphBuilder graph, String name, StudentTaps student, TeacherShapes teacher) {
        Tap logits = student.logits();
        Heads.requireRawOutput(graph, logits, "dkd");
        Methods.requireTeacherLogits(teacher, student);
        return Heads.lossLayer(graph, name, loss, logits.vertex(), logits.shape());
    }

    @Override
    public INDArray labels(Minibatch batch) {
        return Labels.oneHotAndLogits(batch);
    }
}
