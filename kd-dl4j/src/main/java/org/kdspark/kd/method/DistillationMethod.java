package org.kdspark.kd.method;

import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One configured term of the distillation objective: a method from {@link Methods} with its settings.
 *
 * <h2>Contract</h2>
 * <ol>
 *   <li>{@link #teacherSignals()} names what the term reads from the soft-label store: {@code "logits"} or a
 *       teacher feature tap. The job must provide those signals, in the shapes given by {@link TeacherShapes},
 *       in every {@link Minibatch}.</li>
 *   <li>{@link #addHead} adds exactly one output layer (and any trainable helper, such as the FitNets
 *       regressor) to the student graph, reading from the student's taps, and returns that output's name.
 *       It neither removes nor changes existing vertices and does not call {@code setOutputs}; it fails early,
 *       with a message naming taps and shapes, when the student and teacher shapes cannot work together.</li>
 *   <li>{@link #labels} builds the label array of that output for one minibatch: {@code [size, width]} in the
 *       minibatch's data type. It is a pure function of the minibatch, safe to call from many threads and on
 *       Spark executors (methods are immutable and serialisable).</li>
 *   <li>The term's weight lives inside the loss it installs (DL4J sums the outputs' scores unweighted), so the
 *       trained objective is exactly the sum of the terms' {@link #formula()}s.</li>
 * </ol>
 */
public interface DistillationMethod extends java.io.Serializable {

    /** The registered method, with its name, summary, paper and keys. */
    MethodSpec spec();

    /** The registry name, e.g. {@code kd}. */
    default String name() {
        return spec().name();
    }

    /** One line: what the method transfers. */
    default String summary() {
        return spec().summary();
    }

    /** The term's formula with its configured values, weight included. */
    String formula();

    /** The store signals this term needs: {@code "logits"} or teacher tap names. */
    List<String> teacherSignals();

    /**
     * Adds this term's head to the student graph.
     *
     * @param graph   the student graph, holding the layers the taps name, outputs not yet set
     * @param name    the name to give the head's output layer (unique in the graph; helpers take it as prefix)
     * @param student the student's taps
     * @param teacher the shapes of the teacher signals in the store
     * @return the name of the output added
     */
    String addHead(GraphBuilder graph, String name, StudentTaps student, TeacherShapes teacher);

    /** The head's labels for one minibatch, {@code [batch.size(), width]}. */
    INDArray labels(Minibatch batch);
}
