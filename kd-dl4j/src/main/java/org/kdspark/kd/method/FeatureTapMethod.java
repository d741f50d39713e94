package org.kdspark.kd.method;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.kdspark.kd.zoo.Tap;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * A term whose loss reads one student tap and is labelled with one stored teacher signal ({@code student_tap},
 * {@code teacher_tap}). Subclasses supply the loss and, where the pair of shapes matters, their own checks and
 * head; by default the loss sits directly on the student tap, which suits relational losses that compare
 * examples rather than features.
 */
abstract class FeatureTapMethod implements DistillationMethod {

    private static final long serialVersionUID = 1L;

    final ILossFunction loss;
    final TapPair taps;

    /** Reads the taps after the subclass has built its loss, so config errors keep their order. */
    FeatureTapMethod(ILossFunction loss, TermConfig config) {
        this.loss = loss;
        this.taps = TapPair.read(config);
    }

    /** The method's own keys followed by the tap keys every such term accepts. */
    static List<Param> params(Param... own) {
        List<Param> all = new ArrayList<>(List.of(own));
        all.add(TapPair.studentParam());
        all.add(TapPair.teacherParam());
        return List.copyOf(all);
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
    public final String addHead(GraphBuilder graph, String name, StudentTaps student, TeacherShapes teacher) {
        Tap s = student.tap(taps.student());
        Heads.requireVertex(graph, s);
        // looked up even when unused, so a signal missing from the store fails here rather than at labelling
        int[] t = teacher.shape(taps.teacher());
        return addHead(graph, name, s, t);
    }

    /** Adds the head once the student tap exists and the teacher signal's shape {@code t} is known. */
    String addHead(GraphBuilder graph, String name, Tap s, int[] t) {
        return Heads.lossLayer(graph, name, loss, s.vertex(), s.shape());
    }

    @Override
    public INDArray labels(Minibatch batch) {
        return Labels.signal(batch, taps.teacher());
    }
}
