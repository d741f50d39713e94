package org.kdspark.kd.method;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.kdspark.kd.zoo.Heads;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The training objective: a weighted sum of named terms, each a {@link DistillationMethod}, parsed from a config
 * map such as
 * <pre>
 *   {ce: 1.0, kd: {weight: 0.9, temperature: 4}, at: {weight: 100, student_tap: block2, teacher_tap: block2}}
 * </pre>
 * A term's key is a method name ({@link Methods}), optionally followed by {@code .label} to use a method more
 * than once ({@code at.b1}, {@code at.b2}); its value is a weight, a map of the method's keys, or empty for the
 * defaults. Unknown methods or keys and bad values fail at parse time, naming what is allowed.
 *
 * <p>Each term becomes one output of the student graph, named {@code loss_<key>} with dots as underscores, in
 * config order; {@link #labels} returns the label arrays in that same order. DL4J sums the outputs' scores, and
 * each term carries its own weight, so the graph's score is exactly {@link #toString()}'s formula averaged over
 * the minibatch. At least one term must read the logits ({@code ce}, {@code kd}, {@code dkd} or {@code dist});
 * a term may have weight 0. Avoid a global dropout in the student's configuration: it would reach the heads' inputs too.
 */
public final class Objective implements java.io.Serializable {

    private static final long serialVersionUID = 1L;

    private static final Pattern KEY = Pattern.compile("([a-z]+)(\\.[A-Za-z0-9_]+)?");

    /** A term: its config key and the configured method. */
    public record Term(String key, DistillationMethod method) implements java.io.Serializable {
        /** The name of the term's output in the student graph. */
        public String outputName() {
            return "loss_" + key.replace('.', '_');
        }
    }

    private final List<Term> terms;

    private Objective(List<Term> terms) {
        if (terms.isEmpty()) {
            throw new IllegalArgumentException("the objective has no terms; the baseline is {ce: 1.0}");
        }
        this.terms = List.copyOf(terms);
    }

    /** Parses a config map (e.g. from YAML), in its iteration order. */
    public static Objective parse(Map<String, ?> config) {
        List<Term> terms = new ArrayList<>();
        config.forEach((key, value) -> {
            var m = KEY.matcher(key);
            if (!m.matches()) {
                throw new IllegalArgumentException("objective term '" + key + "' must be a method name, optionally"
                        + " with a .label suffix (e.g. at.b2)");
            }
            terms.add(new Term(key, Methods.forName(m.group(1)).configure(value)));
        });
        return new Objective(terms);
    }

    /** The baseline {@code none}: hard-label cross-entropy alone. */
    public static Objective baseline() {
        return parse(Map.of(Methods.hardLabel().name(), 1.0));
    }

    public List<Term> terms() {
        return terms;
    }

    /** The store signals the objective needs, each once, in term order. */
    public List<String> teacherSignals() {
        LinkedHashSet<String> signals = new LinkedHashSet<>();
        terms.forEach(t -> signals.addAll(t.method().teacherSignals()));
        return List.copyOf(signals);
    }

    /** The output names, in the order of {@link #labels}. */
    public List<String> outputNames() {
        return terms.stream().map(Term::outputName).toList();
    }

    /**
     * Adds every term's head to the student graph and makes them the graph's outputs.
     *
     * @return the output names, in label order
     */
    public String[] addTo(GraphBuilder graph, StudentTaps student, TeacherShapes teacher) {
        List<String> outputs = new ArrayList<>();
        for (Term t : terms) {
            outputs.add(t.method().addHead(graph, t.outputName(), student, teacher));
        }
        String logits = student.logits().vertex();
        boolean logitsTrained = graph.getVertexInputs().values().stream().anyMatch(in -> in.contains(logits));
        if (!logitsTrained) {
            throw new IllegalArgumentException("no term of the objective '" + this + "' reads the logits tap '"
                    + logits + "', so the classifier would not be trained; add ce (or kd, dkd, dist)");
        }
        String[] names = outputs.toArray(String[]::new);
        graph.setOutputs(names);
        return names;
    }

    /**
     * The objective as a zoo model's heads: {@code ModelZoo.build(student, params, input, classes, seed,
     * objective.heads(teacher))} builds the student with one loss head per term, reading the model's taps.
     */
    public Heads heads(TeacherShapes teacher) {
        return (graph, taps) -> addTo(graph, new StudentTaps(taps), teacher);
    }

    /** The label arrays of one minibatch, one per output, in output order. */
    public INDArray[] labels(Minibatch batch) {
        INDArray[] labels = new INDArray[terms.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = terms.get(i).method().labels(batch);
        }
        return labels;
    }

    /** The whole objective, e.g. {@code 1.0*CE(y,softmax(s)) + 0.9*4.0^2*KL(softmax(t/4.0)||softmax(s/4.0))}. */
    @Override
    public String toString() {
        return terms.stream().map(t -> t.method().formula()).collect(Collectors.joining(" + "));
    }
}
