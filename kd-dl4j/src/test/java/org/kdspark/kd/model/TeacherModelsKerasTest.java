package org.kdspark.kd.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.provenance.Provenance;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Keras HDF5 teachers against logits computed in numpy from the same weights ({@code keras/make_fixtures.py}, which
 * wrote the committed .h5 files in Keras 2's layout, channels-last).
 */
class TeacherModelsKerasTest {

    static byte[] resource(String name) {
        try (InputStream in = TeacherModelsKerasTest.class.getResourceAsStream("/keras/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource keras/" + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static JsonNode expected() {
        try {
            return new ObjectMapper().readTree(resource("expected.json"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The fixture images, CHW uint8, as the image table holds them. */
    static byte[] pixels(JsonNode expected) {
        JsonNode images = expected.get("pixels");
        int per = images.get(0).size();
        byte[] out = new byte[images.size() * per];
        for (int i = 0; i < images.size(); i++) {
            for (int j = 0; j < per; j++) {
                out[i * per + j] = (byte) images.get(i).get(j).asInt();
            }
        }
        return out;
    }

    static float maxAbsDiff(INDArray logits, JsonNode expected) {
        float max = 0;
        for (int i = 0; i < expected.size(); i++) {
            for (int j = 0; j < expected.get(i).size(); j++) {
                max = Math.max(max, Math.abs(logits.getFloat(i, j) - (float) expected.get(i).get(j).asDouble()));
            }
        }
        return max;
    }

    @ParameterizedTest
    @ValueSource(strings = {"sequential_cnn.h5", "functional_residual.h5"})
    void kerasChannelsLastModelGivesNumpyLogitsOnNchwImages(String file) {
        JsonNode expected = expected();
        TeacherModels.Teacher teacher = TeacherModels.load(resource(file), file);
        assertEquals(TeacherModels.Kind.KERAS_HDF5, teacher.kind());
        assertEquals(InputSpec.FASHION_MNIST, teacher.declaredInput());
        teacher.requireInput(InputSpec.FASHION_MNIST);
        byte[] pixels = pixels(expected);
        int count = expected.get("pixels").size();
        INDArray x = InputSpec.FASHION_MNIST.toInput(pixels, 0, count);
        INDArray logits = GraphOutputs.activations(teacher.graph(), x, List.of(GraphOutputs.LOGITS))[0];
        JsonNode want = expected.get("logits").get(file);
        assertEquals(want.size(), logits.rows());
        assertEquals(10, logits.columns());
        float diff = maxAbsDiff(logits, want);
        System.out.printf("%s: max |logit - numpy| = %.3g; conversion %s%n", file, diff, teacher.conversion());
        assertTrue(diff < 1e-4f, file + ": max abs diff " + diff);

        // what executors get: the converted graph's zip, permute preprocessor included
        ComputationGraph reloaded = ModelFiles.graphFromZip(teacher.toZip(Provenance.of("teacher", 1, "test")), false);
        INDArray again = GraphOutputs.activations(reloaded, x, List.of(GraphOutputs.LOGITS))[0];
        assertTrue(maxAbsDiff(again, want) < 1e-4f);
    }

    @Test
    void kerasModelForOtherImagesIsRefusedSayingWhatToChange() {
        TeacherModels.Teacher teacher = TeacherModels.load(resource("sequential_cnn_14x14.h5"), "small.h5");
        assertEquals(new InputSpec(1, 14, 14), teacher.declaredInput());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> teacher.requireInput(InputSpec.FASHION_MNIST));
        assertTrue(e.getMessage().contains("small.h5") && e.getMessage().contains("14x14") && e.getMessage().contains("dataset.height: 14"),
                e.getMessage());
    }

    @Test
    void kerasModelWithFlatInputIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TeacherModels.load(resource("flat_input_dense.h5"), "flat.h5"));
        assertTrue(e.getMessage().contains("flat.h5") && e.getMessage().contains("not images"), e.getMessage());
    }

    @Test
    void hdf5IsRecognisedByItsMagicBytesWhateverItsName() {
        assertEquals(TeacherModels.Kind.KERAS_HDF5, TeacherModels.detect(resource("sequential_cnn.h5"), "teacher.bin"));
    }
}
