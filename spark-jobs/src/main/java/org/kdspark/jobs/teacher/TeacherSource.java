package org.kdspark.jobs.teacher;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.kdspark.jobs.config.EnsembleMode;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.layout.RunLayout;

/**
 * Where the soft labels' teacher comes from. Each case names the config key that chose it, for messages.
 *
 * <ul>
 *   <li>{@link Trained}: a teacher this run trained ({@code kd train-teacher}), with the directory its verified ONNX
 *       export is kept in;</li>
 *   <li>{@link ModelFile}: a DL4J or Keras file trained elsewhere ({@code soft_labels.teacher_model}, an ensemble
 *       member);</li>
 *   <li>{@link OnnxFile}: an ONNX classifier ({@code soft_labels.teacher_onnx}, an ensemble member ending in
 *       {@code .onnx});</li>
 *   <li>{@link Ensemble}: several of the above labelling in one pass, their logits combined; the feature taps are the
 *       first member's.</li>
 * </ul>
 * {@link Teachers#prepare} turns a source into a {@link PreparedTeacher}, checked against the image table.
 */
public sealed interface TeacherSource {

    /** The config key that names this teacher. */
    String key();

    /**
     * Whether this is (or an ensemble with) a teacher from outside the run, which takes the images normalised as
     * {@code preprocess.teacher_*} says; the run's own teachers take them as the image table declares.
     */
    default boolean supplied() {
        return this instanceof ModelFile || this instanceof OnnxFile
                || this instanceof Ensemble e && e.members().stream().anyMatch(TeacherSource::supplied);
    }

    /**
     * A teacher the run trained: its model zip and the directory its verified ONNX export is kept in.
     *
     * @param name what it is, for messages: {@code teacher}, {@code teacher trained with seed 43}
     */
    record Trained(String model, String dir, String key, String name) implements TeacherSource {

        /** The run's own teacher. */
        public Trained(String model, String dir) {
            this(model, dir, "teacher", "teacher");
        }
    }

    /** A DL4J ComputationGraph or MultiLayerNetwork zip, or a Keras 2 HDF5 model, trained elsewhere. */
    record ModelFile(String uri, String key) implements TeacherSource {
    }

    /** An ONNX classifier, labelled as given (there is no original to verify it against). */
    record OnnxFile(String uri, String key) implements TeacherSource {
    }

    /** Two or more teachers; the first one's feature taps are stored. */
    record Ensemble(List<TeacherSource> members, EnsembleMode mode) implements TeacherSource {

        public Ensemble {
            members = List.copyOf(members);
            if (members.size() < 2 || members.stream().anyMatch(m -> m instanceof Ensemble)) {
                throw new IllegalArgumentException("an ensemble is two or more single teachers, got " + members);
            }
        }

        @Override
        public String key() {
            return "soft_labels.ensemble";
        }
    }

    /**
     * The teacher {@code config} asks for: {@code soft_labels.teacher_onnx}, else {@code soft_labels.teacher_model}, else
     * the run's own; with {@code teacher.ensemble_seeds} or {@code soft_labels.ensemble_teachers}, the ensemble of that
     * teacher, the run's further teachers and the listed files, in that order.
     */
    static TeacherSource of(KdConfig config, RunLayout layout) {
        KdConfig.SoftLabels sl = config.softLabels();
        TeacherSource first = sl.teacherOnnx() != null ? new OnnxFile(sl.teacherOnnx(), "soft_labels.teacher_onnx")
                : sl.teacherModel() != null ? new ModelFile(sl.teacherModel(), "soft_labels.teacher_model")
                : new Trained(layout.teacherModel(), layout.teacherDir());
        List<TeacherSource> members = new ArrayList<>(List.of(first));
        for (long seed : config.teacher().ensembleSeeds()) {
            members.add(new Trained(layout.teacherMemberModel(seed), layout.teacherMemberDir(seed), "teacher.ensemble_seeds",
                    "teacher trained with seed " + seed));
        }
        for (String uri : sl.ensembleTeachers()) {
            members.add(uri.toLowerCase(Locale.ROOT).endsWith(".onnx") ? new OnnxFile(uri, "soft_labels.ensemble_teachers")
                    : new ModelFile(uri, "soft_labels.ensemble_teachers"));
        }
        return members.size() == 1 ? first : new Ensemble(members, sl.ensemble());
    }
}
