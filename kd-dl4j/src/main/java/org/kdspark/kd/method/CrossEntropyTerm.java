package org.kdspark.kd.method;

import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.kdspark.kd.loss.Formulas;
import org.kdspark.kd.loss.ScaledLoss;
import org.kdspark.kd.zoo.Tap;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/**
 * The hard-label term {@code ce}: {@code weight * CE(y, softmax(s))}, DL4J's own multi-class cross-entropy on a
 * softmax loss layer over the logits. Alone it is the baseline {@code none}; with distillation terms it is
 * the usual student loss. Its output's activations are the student's class probabilities.
 */
public final class CrossEntropyTerm implements DistillationMethod {

    private static final long serialVersionUID = 1L;

    public static final MethodSpec SPEC = new MethodSpec("ce",
            "hard-label cross-entropy CE(y, softmax(s)); alone it is the baseline 'none'", "-",
            List.of(Param.number("weight", 1.0, "multiplier")), CrossEntropyTerm::new,
            s -> Map.of("ce", 1.0));

    private final double weight;

    private CrossEntropyTerm(TermConfig config) {
        this.weight = config.nonNegative("weight");
    }

    @Override
    public MethodSpec spec() {
        return SPEC;
    }

    @Override
    public String formula() {
        return Formulas.number(weight) + "*CE(y,softmax(s))";
    }

    @Override
    public List<String> teacherSignals() {
        return List.of();
    }

    @Override
    public String addHead(GraphBuilder graph, String name, StudentTaps student, TeacherShapes teacher) {
        Tap logits = student.logits();
        Heads.requireRawOutput(graph, logits, "the cross-entropy head (softmax is applied by the head)");
        Heads.requireNew(graph, name);
        ILossFunction loss = weight == 1 ? new LossMCXENT() : new ScaledLoss(weight, new LossMCXENT());
        graph.addLayer(name, new LossLayer.Builder(loss).activation(Activation.SOFTMAX).build(), logits.vertex());
        return name;
    }

    @Override
    public INDArray labels(Minibatch batch) {
        return Labels.oneHot(batch);
    }
}
