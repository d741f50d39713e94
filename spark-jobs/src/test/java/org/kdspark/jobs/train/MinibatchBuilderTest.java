package org.kdspark.jobs.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;
import org.kdspark.kd.data.ImageView;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.method.Objective;
import org.kdspark.kd.method.TeacherShapes;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import scala.Tuple2;

/** The minibatch builder rebuilds an augmented view from the row's parameters: the student sees what the teacher labelled. */
class MinibatchBuilderTest {

    private static final InputSpec SPEC = new InputSpec(1, 3, 3);

    @Test
    void anAugmentedViewIsRebuiltFromItsParametersBeforeItIsFed() {
        byte[] image = {10, 20, 30, 40, 50, 60, 70, 80, (byte) 255};
        ImageView view = new ImageView(1, 1, -1, true);
        Objective ce = Objective.parse(Map.of("ce", 1.0));
        TeacherShapes shapes = new TeacherShapes(Map.of("logits", new int[] {2}));
        MinibatchBuilder builder = new MinibatchBuilder(SPEC, 2, 4, ce, shapes, List.of(), true);
        List<Tuple2<Long, Row>> rows = List.of(
                new Tuple2<>(1L, RowFactory.create(image, 1, view.view(), view.dx(), view.dy(), view.flip())),
                new Tuple2<>(2L, RowFactory.create(image, 0, 0, 0, 0, false)));

        Iterator<MultiDataSet> batches = builder.call(rows.iterator());
        MultiDataSet batch = batches.next();
        assertFalse(batches.hasNext());

        float[] fed = batch.getFeatures(0).dup('c').data().asFloat();
        assertArrayEquals(SPEC.toInput(view.apply(image, SPEC), 0, 1).data().asFloat(), java.util.Arrays.copyOfRange(fed, 0, 9), 0f,
                "the first example is view 1 of the image");
        assertArrayEquals(SPEC.toInput(image, 0, 1).data().asFloat(), java.util.Arrays.copyOfRange(fed, 9, 18), 0f,
                "view 0 is the image itself");
        assertEquals(1f, batch.getLabels(0).getFloat(0, 1));
    }
}
