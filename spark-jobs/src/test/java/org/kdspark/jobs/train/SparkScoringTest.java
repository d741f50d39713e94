package org.kdspark.jobs.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.kdspark.jobs.TestSpark;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.jobs.store.SoftLabelStore;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.data.LabeledImages;
import org.kdspark.kd.eval.Evaluation;
import org.kdspark.kd.eval.Metrics;
import org.kdspark.kd.eval.ScoreSums;
import org.kdspark.kd.zoo.ModelZoo;
import org.kdspark.kd.zoo.OutputHead;

/**
 * Scoring on the executors gives the figures of scoring every image at once on the driver: two models and the stored
 * teacher logits over rows spread across several partitions, joined with a store by id.
 */
class SparkScoringTest {

    private static final int N = 301;
    private static final int K = 10;

    @Test
    void partitionedScoresMergeIntoTheFiguresOfTheWholeSplit() {
        SparkSession spark = TestSpark.session();
        Random random = new Random(12);
        InputSpec spec = InputSpec.FASHION_MNIST;
        int values = spec.valuesPerImage();
        List<Row> images = new ArrayList<>();
        List<Row> store = new ArrayList<>();
        byte[] pixels = new byte[N * values];
        int[] labels = new int[N];
        float[] teacher = new float[N * K];
        for (int i = 0; i < N; i++) {
            // ids in the order the driver-side reference takes them
            String id = String.format("img-%04d", i);
            byte[] p = new byte[values];
            random.nextBytes(p);
            System.arraycopy(p, 0, pixels, i * values, values);
            labels[i] = random.nextInt(K);
            float[] t = new float[K];
            for (int c = 0; c < K; c++) {
                t[c] = (float) random.nextGaussian() * 2 + (c == labels[i] ? 2 : 0);
            }
            System.arraycopy(t, 0, teacher, i * K, K);
            images.add(RowFactory.create(id, ImageTable.TEST, labels[i], p));
            Float[] boxed = new Float[K];
            for (int c = 0; c < K; c++) {
                boxed[c] = t[c];
            }
            store.add(RowFactory.create(id, boxed));
        }
        StructType imageSchema = new StructType().add(ImageTable.ID, DataTypes.StringType).add(ImageTable.SPLIT, DataTypes.StringType)
                .add(ImageTable.LABEL, DataTypes.IntegerType).add(ImageTable.PIXELS, DataTypes.BinaryType);
        StructType storeSchema = new StructType().add(SoftLabelStore.ID, DataTypes.StringType)
                .add(SoftLabelStore.LOGITS, DataTypes.createArrayType(DataTypes.FloatType));
        Dataset<Row> imageRows = spark.createDataFrame(images, imageSchema).repartition(5);
        Dataset<Row> storeRows = spark.createDataFrame(store, storeSchema).repartition(3);
        SoftLabelStore.Signal logits = new SoftLabelStore.Signal(SoftLabelStore.LOGITS, SoftLabelStore.LOGITS, new int[] {K}, null);
        List<ComputationGraph> models = List.of(
                ModelZoo.build("cnn-small", Map.of(), spec, K, 1L, OutputHead.softmaxCrossEntropy()).init(),
                ModelZoo.build("mlp", Map.of(), spec, K, 2L, OutputHead.softmaxCrossEntropy()).init());

        Dataset<Row> rows = SparkScoring.rows(imageRows, storeRows, logits);
        SparkScoring.Scored scored = SparkScoring.score(rows, spec, K, models, logits);

        LabeledImages all = new LabeledImages(N, spec, pixels, labels);
        assertEquals(N, scored.examples());
        for (int m = 0; m < models.size(); m++) {
            float[] reference = Evaluation.logits(models.get(m), all);
            ScoreSums s = scored.models().get(m);
            assertEquals(N, s.examples());
            assertEquals(Metrics.accuracy(reference, labels), s.accuracy(), 0.0, "model " + m);
            assertEquals(Metrics.nll(reference, labels), s.nll(), 1e-6, "model " + m);
            assertEquals(Metrics.agreement(reference, teacher, N), s.teacherAgreement(), 0.0, "model " + m);
            assertEquals(Metrics.klFromTeacher(reference, teacher, N), s.klFromTeacher(), 1e-6, "model " + m);
            long[][] confusion = Metrics.confusion(reference, labels);
            for (int c = 0; c < K; c++) {
                assertArrayEquals(confusion[c], s.confusion()[c], "model " + m + " class " + c);
            }
        }
        assertEquals(Metrics.accuracy(teacher, labels), scored.storedLogits().accuracy(), 0.0);
        assertEquals(1.0, scored.storedLogits().teacherAgreement(), 0.0);

        // an image the store has no logits for drops out of the join: the callers compare the count with the table's
        Dataset<Row> partialStore = storeRows.filter(org.apache.spark.sql.functions.col(SoftLabelStore.ID).notEqual("img-0007"));
        assertEquals(N - 1, SparkScoring.score(SparkScoring.rows(imageRows, partialStore, logits), spec, K, List.of(), logits).examples());
        // without a store: the images alone
        assertEquals(N, SparkScoring.score(SparkScoring.rows(imageRows, null, null), spec, K, models.subList(1, 2), null).examples());
    }
}
