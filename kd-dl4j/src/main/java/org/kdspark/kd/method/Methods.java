package org.kdspark.kd.method;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The registry of distillation methods, by name: {@code kd dkd dist fitnets at sp rkd pkt}, in the order of the
 * surveys' taxonomy (response-, feature-, relation-based). The hard-label term {@code ce} is not a distillation
 * method but is found here too; the baseline {@code none} is the objective {@code {ce: 1.0}}.
 *
 * <p>The built-in methods are an explicit list rather than classpath scanning or self-registration: what exists is
 * visible in one place, and loading a class has no side effects. Adding a built-in method is one class with a
 * {@code SPEC}, one line here and its tests. Methods from outside the project are {@link Plugin}s, found with
 * {@link ServiceLoader} on the classpath (a jar given to {@code spark-submit --jars}); docs/extending.md works one
 * through.
 */
public final class Methods {

    private static final List<MethodSpec> BUILT_IN = List.of(
            KdMethod.SPEC, DkdMethod.SPEC, DistMethod.SPEC,
            FitNetsMethod.SPEC, AttentionTransferMethod.SPEC,
            SimilarityPreservingMethod.SPEC, RkdMethod.SPEC, PktMethod.SPEC);

    private static final List<MethodSpec> DISTILLATION = withPlugins(BUILT_IN);

    /** The name of the baseline: the objective made of the hard-label term alone. */
    public static final String BASELINE = "none";

    /** The softmax temperature of the logit methods unless their term or {@code distill.temperature} says otherwise. */
    public static final double DEFAULT_TEMPERATURE = 4.0;

    /**
     * Distillation methods from outside the project: an implementation listed in
     * {@code META-INF/services/org.kdspark.kd.method.Methods$Plugin} of a jar on the classpath.
     */
    public interface Plugin {
        /** The methods this plug-in adds; their names must differ from every other method's. */
        List<MethodSpec> methods();
    }

    private static List<MethodSpec> withPlugins(List<MethodSpec> builtIn) {
        List<MethodSpec> all = new ArrayList<>(builtIn);
        for (Plugin plugin : ServiceLoader.load(Plugin.class, Methods.class.getClassLoader())) {
            for (MethodSpec m : plugin.methods()) {
                if (m.name().equals(BASELINE) || m.name().equals(CrossEntropyTerm.SPEC.name())
                        || all.stream().anyMatch(other -> other.name().equals(m.name()))) {
                    throw new IllegalStateException("the method plug-in " + plugin.getClass().getName() + " registers '" + m.name()
                            + "', a name already taken: give it another");
                }
                all.add(m);
            }
        }
        return List.copyOf(all);
    }

    private Methods() {
    }

    /** The distillation methods, in listing order. */
    public static List<MethodSpec> distillation() {
        return DISTILLATION;
    }

    public static List<String> names() {
        return DISTILLATION.stream().map(MethodSpec::name).toList();
    }

    /** The hard-label cross-entropy term {@code ce}. */
    public static MethodSpec hardLabel() {
        return CrossEntropyTerm.SPEC;
    }

    /** The method or term of that name; fails naming those there are. */
    public static MethodSpec forName(String name) {
        if (name.equals(CrossEntropyTerm.SPEC.name())) {
            return CrossEntropyTerm.SPEC;
        }
        return DISTILLATION.stream().filter(m -> m.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown method '" + name + "'; known: ce, "
                        + String.join(", ", names()) + (name.equals(BASELINE) ? " ('none' is the objective {ce: 1.0})"
                        : "")));
    }

    /**
     * The listing for {@code bin/kd methods}: the baseline, then one line per method with its paper, and its keys
     * with defaults.
     */
    public static String describe() {
        Map<String, String> lines = new LinkedHashMap<>();
        lines.put(BASELINE, "baseline: hard-label cross-entropy only, the objective {ce: 1.0}");
        lines.put(CrossEntropyTerm.SPEC.name(), CrossEntropyTerm.SPEC.summary());
        for (MethodSpec m : DISTILLATION) {
            lines.put(m.name(), m.summary() + " (" + m.paper() + ")");
        }
        StringBuilder out = new StringBuilder();
        lines.forEach((name, line) -> {
            out.append(String.format("%-8s %s%n", name, line));
            MethodSpec spec = name.equals(BASELINE) ? null : forName(name);
            if (spec != null) {
                out.append(String.format("%-8s   keys: %s%n", "", spec.params().stream().map(Param::toString)
                        .collect(Collectors.joining(", "))));
            }
        });
        return out.toString();
    }

    /** The single values {@code distill.method} accepts: the baseline and every distillation method. */
    public static List<String> expressionNames() {
        return Stream.concat(Stream.of(BASELINE), names().stream()).toList();
    }

    /** A {@code distill.method} value: one of {@link #expressionNames()}, or two or more distinct methods joined by '+'. */
    public static boolean isExpression(String method) {
        if (method == null) {
            return false;
        }
        List<String> parts = List.of(method.split("\\+", -1));
        return parts.size() == 1 ? expressionNames().contains(method)
                : parts.stream().allMatch(names()::contains) && parts.stream().distinct().count() == parts.size();
    }

    /**
     * The objective terms a {@code distill.method} value stands for: the baseline {@code none} is {@code {ce: 1}}, a
     * method expands as its {@link MethodSpec#shorthand()} says, and methods joined by '+' ({@code kd+rkd}) are the sum
     * of their terms with a single hard-label term: none when one of them carries its own (as {@code kd} does through
     * its alpha), else {@code ce: 1}.
     *
     * @throws IllegalArgumentException for an unknown method, or one whose shorthand cannot expand (a missing tap)
     */
    public static Map<String, Object> expand(String method, Shorthand with) {
        if (!isExpression(method)) {
            throw new IllegalArgumentException("unknown method '" + method + "'; known: " + String.join(", ", expressionNames())
                    + ", or methods joined by '+'");
        }
        if (method.equals(BASELINE)) {
            return Map.of(CrossEntropyTerm.SPEC.name(), 1.0);
        }
        Map<String, Object> terms = new LinkedHashMap<>();
        boolean ownHardLabels = false;
        for (String part : method.split("\\+")) {
            Map<String, Object> own = forName(part).shorthand().apply(with);
            ownHardLabels |= !own.containsKey(CrossEntropyTerm.SPEC.name());
            terms.putAll(own);
        }
        if (ownHardLabels) {
            terms.remove(CrossEntropyTerm.SPEC.name());
        }
        return terms;
    }

    static void requireTeacherLogits(TeacherShapes teacher, StudentTaps student) {
        int[] t = teacher.shape(StudentTaps.LOGITS);
        if (t.length != 1 || t[0] != student.numClasses()) {
            throw new IllegalArgumentException("teacher logits " + Shapes.text(t) + " do not match the student's "
                    + student.numClasses() + " classes");
        }
    }
}
