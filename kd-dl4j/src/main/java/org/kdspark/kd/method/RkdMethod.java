package org.kdspark.kd.method;

import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.kdspark.kd.loss.RelationalKnowledgeDistillationLoss;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code rkd}: relational KD, {@code weight * (distance * L_D + angle * L_A)} over the minibatch's pairwise
 * distances (normalised by their mean) and triplet angles, smooth-L1, via
 * {@link RelationalKnowledgeDistillationLoss}.
 *
 * <p>The student tap may be flat or a feature map (flattened channel-major); the teacher signal may have any
 * width. The angle term costs {@code O(b^3 d)} per minibatch. Labels: the teacher signal, flattened.
 *
 * <p>Paper: W. Park, D. Kim, Y. Lu, M. Cho, "Relational Knowledge Distillation", CVPR 2019, arXiv:1904.05068.
 * Config: {@code rkd: {distance: 25, angle: 50, student_tap: embedding}}.
 */
public final class RkdMethod implements DistillationMethod {

    private static final long serialVersionUID = 1L;

    public static final MethodSpec SPEC = new MethodSpec("rkd",
            "relational KD: match pairwise distances and triplet angles of embeddings over the minibatch",
            "Park, Kim, Lu, Cho 2019, arXiv:1904.05068",
            List.of(Param.number("weight", 1.0, "multiplier of the whole term"),
                    Param.number("distance", 25.0, "weight of the distance term"),
                    Param.number("angle", 50.0, "weight of the angle term"),
                    TapPair.studentParam(), TapPair.teacherParam()),
            RkdMethod::new);

    private final RelationalKnowledgeDistillationLoss loss;
    private final TapPair taps;

    private RkdMethod(TermConfig config) {
        double weight = config.nonNegative("weight");
        this.loss = new RelationalKnowledgeDistillationLoss(weight * config.nonNegative("distance"),
                weight * config.nonNegative("angle"));
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
