package org.kdspark.jobs.teacher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.models.Models;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.onnx.OnnxClassifier;
import org.kdspark.kd.onnx.OnnxExporter;

/**
 * The executor's ONNX model cache: models used side by side (an ensemble's ONNX teachers) stay open together, and a
 * model pushed out while a task runs it is closed only after that run.
 */
class OnnxTeacherCacheTest {

    private static final InputSpec SPEC = new InputSpec(1, 16, 16);

    @Test
    void aModelDroppedWhileRunningIsClosedOnlyAfterItsRunAndAnEnsembleDoesNotReload() {
        KdConfig.Teacher t = KdConfig.defaults().teacher().withArchitecture("cnn-small");
        byte[] onnx = OnnxExporter.builder().inputShape(1, 16, 16).taps(OnnxClassifier.LOGITS).build()
                .toBytes(Models.teacher(t, SPEC, 3));
        byte[] pixels = new byte[2 * 256];
        int loads = OnnxTeacherCache.loads();

        // an ensemble of two models labelling batch after batch opens each once
        for (int batch = 0; batch < 3; batch++) {
            for (String sha : List.of("member-a", "member-b")) {
                assertEquals(2, OnnxTeacherCache.run(sha, () -> onnx, SPEC, OnnxClassifier.LOGITS, List.of(), false, m -> m.run(pixels, 0, 2))
                        .count());
            }
        }
        assertEquals(loads + 2, OnnxTeacherCache.loads(), "sessions created");

        // while "first" runs, more models than the cache holds are used: it is dropped, yet still runs until its work ends
        int after = OnnxTeacherCache.run("first", () -> onnx, SPEC, OnnxClassifier.LOGITS, List.of(), false, first -> {
            for (int i = 0; i < OnnxTeacherCache.CAPACITY; i++) {
                OnnxTeacherCache.run("other-" + i, () -> onnx, SPEC, OnnxClassifier.LOGITS, List.of(), false, m -> m.run(pixels, 0, 2));
            }
            return first.run(pixels, 0, 2).count();
        });
        assertEquals(2, after, "the dropped model still ran");
        assertEquals(OnnxTeacherCache.CAPACITY, OnnxTeacherCache.open());
        assertEquals(loads + 3 + OnnxTeacherCache.CAPACITY, OnnxTeacherCache.loads());
    }
}
