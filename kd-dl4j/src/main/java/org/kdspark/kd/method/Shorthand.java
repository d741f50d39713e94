package org.kdspark.kd.method;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * What a method's shorthand ({@code distill.method: NAME}) is expanded with: the run's KD temperature and hard-label
 * weight, and the teacher feature taps the soft-label store holds. Each method says, in its {@link MethodSpec}, which
 * objective terms its shorthand stands for; the helpers here build the common forms.
 *
 * @param alpha       hard-label weight of the {@code kd} shorthand
 * @param temperature softmax temperature of the logit methods
 * @param featureTaps the store's feature taps, in config order
 */
public record Shorthand(double alpha, double temperature, List<String> featureTaps) {

    public Shorthand {
        featureTaps = List.copyOf(featureTaps);
    }

    /** How a method's shorthand expands: the objective terms ({@link Objective#parse}'s map form) it stands for. */
    @FunctionalInterface
    public interface Expansion extends Function<Shorthand, Map<String, Object>> {
    }

    /** {@code {ce: 1, NAME: {temperature: T}}}: a logit method beside the hard labels. */
    public static Expansion logits(String name) {
        return s -> withHardLabels(name, Map.of("temperature", s.temperature()));
    }

    /** {@code {ce: 1, NAME: {student_tap: F, teacher_tap: F}}} with F the first of the store's taps (a feature map). */
    public static Expansion firstTap(String name) {
        return s -> withHardLabels(name, taps(s.requireTap(name, 0)));
    }

    /** As {@link #firstTap} on the last of the store's taps (an embedding, when the list ends with one). */
    public static Expansion lastTap(String name) {
        return s -> withHardLabels(name, taps(s.requireTap(name, s.featureTaps().size() - 1)));
    }

    /** {@code {ce: 1, NAME: settings}}. */
    public static Map<String, Object> withHardLabels(String name, Map<String, Object> settings) {
        Map<String, Object> terms = new LinkedHashMap<>();
        terms.put(CrossEntropyTerm.SPEC.name(), 1.0);
        terms.put(name, settings);
        return terms;
    }

    private static Map<String, Object> taps(String tap) {
        return Map.of(TapPair.STUDENT_KEY, tap, TapPair.TEACHER_KEY, tap);
    }

    private String requireTap(String method, int index) {
        if (featureTaps.isEmpty()) {
            throw new IllegalArgumentException(method + " needs a teacher feature tap in the store: list one in"
                    + " soft_labels.feature_taps, or give distill.objective");
        }
        return featureTaps.get(index);
    }
}
