package org.kdspark.jobs.trainteacher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kdspark.jobs.TestSpark;
import org.kdspark.jobs.Tiers;
import org.kdspark.jobs.bench.MethodsBench;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.evaluate.EvaluateJob;
import org.kdspark.jobs.evaluate.Report;
import org.kdspark.jobs.ingest.IngestJob;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.softlabels.SoftLabelJob;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.jobs.store.SoftLabelStore;
import org.kdspark.jobs.store.StoreVersion;
import org.kdspark.jobs.store.TableImages;
import org.kdspark.kd.data.LabeledImages;
import org.kdspark.kd.eval.Metrics;
import org.kdspark.kd.model.GraphOutputs;
import org.kdspark.kd.model.ModelFiles;

/**
 * {@code teacher.ensemble_seeds} on a real Fashion-MNIST slice: each further teacher is trained once into its own folder,
 * adding one does not retrain the run's teacher, and the soft-label job labels with the ensemble of all of them, each
 * through its verified ONNX export ({@code soft_labels.backend: auto}).
 */
@Tag(Tiers.SLOW)
class TeacherEnsembleTest {

    @TempDir
    static Path dir;

    private static KdConfig config(String seeds) {
        return ConfigLoader.load(TestSpark.repoRoot().resolve("conf/fashion-mnist-quick.yaml"),
                List.of("output=" + dir.toUri(), "dataset.train_limit=600", "dataset.test_limit=200", "teacher.epochs=1",
                        "teacher.ensemble_seeds=" + seeds, "soft_labels.feature_taps=[]", "soft_labels.backend=auto"));
    }

    @Test
    void ensembleTeachersAreTrainedOnceAndTheStoreHoldsTheirMeanLogits() {
        SparkSession spark = TestSpark.session();
        RunLayout layout = new RunLayout(dir.resolve("out").toUri().toString());
        HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
        KdConfig single = config("[]");
        IngestJob.run(spark, single, layout);
        TeacherJob.Result alone = TeacherJob.run(spark, single, layout);
        assertFalse(alone.reused());
        assertEquals(List.of(), alone.members());

        KdConfig ensemble = config("[43]");
        TeacherJob.Result withMember = TeacherJob.run(spark, ensemble, layout);
        assertTrue(withMember.reused(), "adding an ensemble seed does not retrain the run's teacher");
        assertEquals(alone.sha256(), withMember.sha256());
        assertEquals(1, withMember.members().size());
        TeacherJob.Result member = withMember.members().get(0);
        assertFalse(member.reused());
        assertEquals(member.sha256(), files.sha256(layout.teacherMemberModel(43)));
        assertNotEquals(alone.sha256(), member.sha256(), "another seed, another teacher");
        assertTrue(TeacherJob.run(spark, ensemble, layout).members().get(0).reused(), "the member is reused on the next run");

        SoftLabelJob.run(spark, ensemble, layout);
        StoreVersion store = SoftLabelStore.open(spark, layout.softLabels());
        assertEquals("mean_logits", store.provenance().details().get("ensemble"));
        List<?> teachers = (List<?>) store.provenance().details().get("teachers");
        assertEquals(2, teachers.size());
        Map<?, ?> labelledBy = (Map<?, ?>) teachers.get(1);
        assertEquals(files.qualify(layout.teacherMemberModel(43)), labelledBy.get("model"));
        assertEquals("onnx", labelledBy.get("backend"), "the member labels through ONNX Runtime like the run's teacher");
        assertTrue(((Map<?, ?>) labelledBy.get("onnx_export")).containsKey("verified_max_abs_diff"), labelledBy.toString());
        assertTrue(files.exists(layout.teacherMemberDir(43) + "/" + org.kdspark.jobs.teacher.OnnxTeachers.CACHED), "its export is kept beside it");

        // the store's test logits are the mean of the two teachers' own, and so is the accuracy the methods table reports
        Dataset<Row> images = ImageTable.read(spark, layout.images());
        TableImages.Collected test = TableImages.collect(ImageTable.open(spark, layout.images()), ImageTable.TEST);
        LabeledImages testImages = test.images();
        ComputationGraph first = ModelFiles.graphFromZip(files.readBytes(layout.teacherModel()), false);
        ComputationGraph second = ModelFiles.graphFromZip(files.readBytes(layout.teacherMemberModel(43)), false);
        float[] z1 = GraphOutputs.activations(first, testImages, GraphOutputs.LOGITS, 64);
        float[] z2 = GraphOutputs.activations(second, testImages, GraphOutputs.LOGITS, 64);
        float[] mean = new float[z1.length];
        for (int i = 0; i < mean.length; i++) {
            mean[i] = (z1[i] + z2[i]) / 2;
        }
        List<Row> stored = store.labelsFor(spark, images).filter(org.apache.spark.sql.functions.col(SoftLabelStore.SPLIT).equalTo(ImageTable.TEST))
                .select(SoftLabelStore.ID, SoftLabelStore.LOGITS).collectAsList();
        assertEquals(testImages.count(), stored.size());
        for (Row r : stored.subList(0, 20)) {
            int i = test.ids().indexOf(r.getString(0));
            List<Float> logits = r.getList(1);
            for (int c = 0; c < 10; c++) {
                assertEquals(mean[i * 10 + c], logits.get(c), 1e-4, "image " + r.getString(0) + ", class " + c);
            }
        }
        assertEquals(Metrics.accuracy(mean, testImages.labels()), MethodsBench.softLabelAccuracy(spark, layout), 1e-12);

        // the report's teacher row is the ensemble the students learn from: its accuracy, and both teachers' parameters
        Report.Content report = EvaluateJob.run(spark, ensemble, layout, 0, true);
        assertEquals(MethodsBench.softLabelAccuracy(spark, layout), report.teacherAccuracy(), 1e-12);
        assertEquals(first.numParams() + second.numParams(), report.teacherParams());
        assertEquals("ensemble of 2 teachers, mean_logits", report.teacherSource());
        assertTrue(Report.markdown(report).contains("| teacher (ensemble of 2 teachers, mean_logits) |"), Report.markdown(report));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SoftLabelJob.run(spark, config("[43, 44]"), layout));
        assertTrue(e.getMessage().contains("teacher.ensemble_seeds: no teacher trained with seed 44")
                && e.getMessage().contains("run 'kd train-teacher' first"), e.getMessage());
    }
}
