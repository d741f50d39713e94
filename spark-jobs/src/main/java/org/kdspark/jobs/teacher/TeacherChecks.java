package org.kdspark.jobs.teacher;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.jobs.onnx.OnnxModelExport;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.error.UserInputException;
import org.kdspark.kd.model.GraphOutputs;
import org.kdspark.kd.onnx.OnnxClassifier;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Checks a teacher against the image table before any work: it must take the table's images, give logits over exactly
 * its classes, and have every feature tap the store keeps. Each check returns the taps' per-image shapes and fails
 * with a {@link UserInputException} that says what to change.
 */
public final class TeacherChecks {

    private TeacherChecks() {
    }

    /**
     * Runs the DL4J teacher once on a blank image of the table's shape; {@code numClasses} -1 accepts any class count.
     */
    public static Map<String, List<Long>> dl4j(ComputationGraph teacher, InputSpec spec, List<String> taps, int numClasses) {
        try {
            GraphOutputs.requireVertices(teacher, List.of(GraphOutputs.LOGITS), "teacher");
            GraphOutputs.requireVertices(teacher, taps, "soft_labels.feature_taps");
        } catch (IllegalArgumentException e) {
            throw new UserInputException(e.getMessage(), e);
        }
        List<String> vertices = new ArrayList<>(List.of(GraphOutputs.LOGITS));
        vertices.addAll(taps);
        INDArray[] acts;
        try {
            acts = GraphOutputs.activations(teacher, Nd4j.zeros(spec.shape(1)), vertices);
        } catch (RuntimeException e) {
            throw new UserInputException("the teacher does not accept images of shape " + spec.geometry()
                    + " (channels x height x width) from the image table: " + e.getMessage()
                    + "; ingest with dataset.channels/height/width matching the teacher, or use a teacher built for " + spec.geometry(), e);
        }
        long width = acts[0].length();
        if (numClasses >= 0 && width != numClasses) {
            throw new UserInputException("the teacher's logits have " + width + " classes but the image table has " + numClasses
                    + ": use a teacher trained on exactly these classes, in the table's order (or set dataset.path to a dataset of "
                    + width + " classes)");
        }
        Map<String, List<Long>> shapes = new LinkedHashMap<>();
        for (int i = 0; i < taps.size(); i++) {
            long[] s = acts[i + 1].shape();
            shapes.put(taps.get(i), Arrays.stream(s, 1, s.length).boxed().toList());
        }
        return shapes;
    }

    /**
     * Refuses an ONNX file that declares ({@value OnnxModelExport#INPUT_SPEC_METADATA}, as this project's exports do) an
     * input other than the one it would be fed.
     */
    static void requireDeclaredInput(String declared, InputSpec fed) {
        if (declared == null) {
            return;
        }
        InputSpec d;
        try {
            d = InputSpec.parse(declared);
        } catch (IllegalArgumentException e) {
            throw new UserInputException("the ONNX teacher's metadata " + OnnxModelExport.INPUT_SPEC_METADATA + ": " + e.getMessage(), e);
        }
        if (!d.sameImages(fed)) {
            throw new UserInputException("the ONNX teacher takes " + d.geometry() + " images (metadata " + OnnxModelExport.INPUT_SPEC_METADATA
                    + ") but the image table holds " + fed.geometry() + ": ingest with dataset.channels/height/width " + d.channels() + "/"
                    + d.height() + "/" + d.width());
        }
        if (!d.normalization().equals(fed.normalization())) {
            throw new UserInputException("the ONNX teacher takes its input normalised as " + d.normalization() + " (metadata "
                    + OnnxModelExport.INPUT_SPEC_METADATA + ") but would be fed " + fed.normalization() + ": set preprocess.teacher_mean,"
                    + " teacher_std, teacher_scale and teacher_channel_order (a teacher of this run: preprocess.mean, std, scale,"
                    + " channel_order) to match");
        }
    }

    /** The ONNX teacher's counterpart of {@link #dl4j}. */
    public static Map<String, List<Long>> onnx(OnnxTeachers.OnnxTeacher teacher, InputSpec spec, List<String> taps, int numClasses) {
        try (OnnxClassifier c = OnnxClassifier.open(teacher.onnx(), spec, teacher.logitsOutput(), taps, 1, false)) {
            requireDeclaredInput(c.metadata().get(OnnxModelExport.INPUT_SPEC_METADATA), spec);
            Map<String, List<Long>> all = c.outputShapes();
            List<Long> logits = all.get(c.logitsOutput());
            if (logits.size() != 1 || logits.get(0) != numClasses) {
                throw new UserInputException("the ONNX teacher's logits output '" + c.logitsOutput() + "' has per-image shape " + logits
                        + " but the image table has " + numClasses + " classes: use a teacher trained on exactly these classes, in the"
                        + " table's order");
            }
            Map<String, List<Long>> shapes = new LinkedHashMap<>();
            taps.forEach(t -> shapes.put(t, all.get(t)));
            return shapes;
        }
    }
}
