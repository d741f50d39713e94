package org.kdspark.kd.method;

import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
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
public final class DistMethod implements DistillationMethod {

    private static final long serialVersionUID = 1L;

    public static final MethodSpec SPEC = new MethodSpec("dist",
            "Pearson correlation of softmax(./T) per example (inter-class) and per class over the batch (intra)",
            "Huang, You, Wang, Qian, Xu 2022, arXiv:2205.10536",
            List.of(Param.number("weight", 1.0, "multiplier of the whole term"),
                    Param.number("beta", 2.0, "weight of the inter-class relation"),
                    Param.number("gamma", 2.0, "weight of the intra-class relation"),
                    Param.number("temperature", 4.0, "softmax temperature T")),
            DistMethod::new);

    private final DistLoss loss;

    private DistMethod(TermConfig config) {
        double weight = config.nonNegative("weight");
        this.loss = new DistLoss(weight * config.nonNegative("beta"), weight * config.nonNegative("gamma"),
                config.positive("temperature"));
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
        Heads.requireRawOutput(graph, logits, "dist");
        Methods.requireTeacherLogits(teacher, student);
        return Heads.lossLayer(graph, name, loss, logits.vertex(), logits.shape());
    }

    @Override
    public INDArray labels(Minibatch batch) {
        return Labels.teacherLogits(batch);
    }
}
