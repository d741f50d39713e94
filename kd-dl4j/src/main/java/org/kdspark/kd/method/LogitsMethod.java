package org.kdspark.kd.method;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.kdspark.kd.loss.AnalyticLoss;
import org.kdspark.kd.loss.StandardizedLogitsLoss;
import org.kdspark.kd.zoo.Tap;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * A term whose loss reads the student's raw logits against the stored teacher logits: the base of the logit methods
 * ({@code kd}, {@code dkd}, {@code dist}) and of a plug-in's (docs/extending.md). The head is a loss layer on the
 * student's {@code logits} vertex, which must be raw (identity activation); labels default to
 * {@code [one-hot | teacher logits]} ({@link Labels#oneHotAndLogits}).
 */
public abstract class LogitsMethod implements DistillationMethod {

    private static final long serialVersionUID = 1L;

    /** The key of logit standardisation ({@link StandardizedLogitsLoss}), a modifier of every built-in logit method. */
    static final String STANDARDIZE = "standardize";

    /**
     * {@code weight}, the method's own keys, {@code temperature}, then {@code standardize}, in the order
     * {@code bin/kd methods} lists.
     */
    static List<Param> params(Param... own) {
        List<Param> all = new ArrayList<>();
        all.add(Param.number("weight", 1.0, "multiplier of the whole term"));
        all.addAll(List.of(own));
        all.add(Param.number("temperature", Methods.DEFAULT_TEMPERATURE, "softmax temperature T"));
        all.add(Param.flag(STANDARDIZE, false, "z-score the student's and the teacher's logits first (logit standardisation, "
                + "Sun et al. 2024, arXiv:2403.01427)"));
        return List.copyOf(all);
    }

    /** {@code loss}, computed on z-scored logits when the term asks for it. */
    static AnalyticLoss standardizedIf(TermConfig config, AnalyticLoss loss, boolean oneHotFirst) {
        return config.flag(STANDARDIZE) ? new StandardizedLogitsLoss(loss, oneHotFirst) : loss;
    }

    /** The loss installed on the logits, the term's weight included. */
    private final ILossFunction head;

    /** @param head the loss on the logits, the term's weight included (DL4J sums the heads' scores unweighted) */
    protected LogitsMethod(ILossFunction head) {
        this.head = head;
    }

    @Override
    public String formula() {
        return head.toString();
    }

    @Override
    public List<String> teacherSignals() {
        return List.of(StudentTaps.LOGITS);
    }

    @Override
    public String addHead(GraphBuilder graph, String name, StudentTaps student, TeacherShapes teacher) {
        Tap logits = student.logits();
        Heads.requireRawOutput(graph, logits, name());
        Methods.requireTeacherLogits(teacher, student);
        return Heads.lossLayer(graph, name, head, logits.vertex(), logits.shape());
    }

    @Override
    public INDArray labels(Minibatch batch) {
        return Labels.oneHotAndLogits(batch);
    }
}
