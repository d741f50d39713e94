package org.kdspark.kd.method;

import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.kdspark.kd.loss.SimilarityPreservingLoss;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code sp}: similarity preserving, {@code gamma/b^2 * ||G_t - G_s||_F^2} with {@code G = rownorm(Q Q^T)} via
 * {@link SimilarityPreservingLoss}, relational over the minibatch; {@code weight} is the paper's gamma.
 *
 * <p>The student tap may be flat or a feature map (flattened channel-major); the teacher signal may have any
 * shape and width, since only relations between examples are compared. Labels: the teacher signal, flattened.
 *
 * <p>Paper: F. Tung, G. Mori, "Similarity-Preserving Knowledge Distillation", ICCV 2019, arXiv:1907.09682.
 * Config: {@code sp: {weight: 3000, student_tap: block3}}.
 */
public final class SimilarityPreservingMethod implements DistillationMethod {

    private static final long serialVersionUID = 1L;

    public static final MethodSpec SPEC = new MethodSpec("sp",
            "similarity-preserving: match the row-normalised Gram matrices of the minibatch's activations",
            "Tung, Mori 2019, arXiv:1907.09682",
            List.of(Param.number("weight", 3000.0, "the paper's gamma"), TapPair.studentParam(), TapPair.teacherParam()),
            SimilarityPreservingMethod::new);

    private final SimilarityPreservingLoss loss;
    private final TapPair taps;

    private SimilarityPreservingMethod(TermConfig config) {
        this.loss = new SimilarityPreservingLoss(config.nonNegative("weight"));
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
