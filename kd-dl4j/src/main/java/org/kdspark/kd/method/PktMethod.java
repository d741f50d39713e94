package org.kdspark.kd.method;

import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.kdspark.kd.loss.ProbabilisticKnowledgeTransferLoss;
import org.nd4j.linalg.api.ndarray.INDArray;

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
public final class PktMethod implements DistillationMethod {

    private static final long serialVersionUID = 1L;

    public static final MethodSpec SPEC = new MethodSpec("pkt",
            "probabilistic transfer: KL between cosine-kernel conditional distributions over the minibatch",
            "Passalis, Tefas 2018, arXiv:1803.10837",
            List.of(Param.number("weight", 1.0, "multiplier of the mean KL"), TapPair.studentParam(), TapPair.teacherParam()),
            PktMethod::new);

    private final ProbabilisticKnowledgeTransferLoss loss;
    private final TapPair taps;

    private PktMethod(TermConfig config) {
        this.loss = new ProbabilisticKnowledgeTransferLoss(config.nonNegative("weight"));
        this.taps = TapPair.read(config);
    }

    @Override
    public MethodSpec spec() {
        return SPEC;
    }

    @Override
    public String formula() {
        return loss + " @" + taps;
    }

    @Override
    public List<String> teacherSignals() {
        return List.of(taps.teacher());
    }

    @Override
    public String addHead(GraphBuilder graph, String name, StudentTaps student, TeacherShapes teacher) {
        Tap s = student.tap(taps.student());
        Heads.requireVertex(graph, s);
        teacher.shape(taps.teacher());
        return Heads.lossLayer(graph, name, loss, s.vertex(), s.shape());
    }

    @Override
    public INDArray labels(Minibatch batch) {
        return Labels.signal(batch, taps.teacher());
    }
}
