package org.kdspark.kd.method;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The registry of distillation methods, by name: {@code kd dkd dist fitnets at sp rkd pkt}, in the order of the
 * surveys' taxonomy (response-, feature-, relation-based). The hard-label term {@code ce} is not a distillation
 * method but is found here too; the baseline {@code none} is the objective {@code {ce: 1.0}}.
 *
 * <p>An explicit list rather than classpath scanning or self-registration: what exists is visible in one place,
 * and loading a class has no side effects. Adding a method is one class with a {@code SPEC}, one line here and
 * its tests.
 */
public final class Methods {

    private static final List<MethodSpec> DISTILLATION = List.of(
            KdMethod.SPEC, DkdMethod.SPEC, DistMethod.SPEC,
            FitNetsMethod.SPEC, AttentionTransferMethod.SPEC,
            SimilarityPreservingMethod.SPEC, RkdMethod.SPEC, PktMethod.SPEC);

    /** The name of the baseline: the objective made of the hard-label term alone. */
    public static final String BASELINE = "none";

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

    static void requireTeacherLogits(TeacherShapes teacher, StudentTaps student) {
        int[] t = teacher.shape(StudentTaps.LOGITS);
        if (t.length != 1 || t[0] != student.numClasses()) {
            throw new IllegalArgumentException("teacher logits " + Shapes.text(t) + " do not match the student's "
                    + student.numClasses() + " classes");
        }
    }
}
