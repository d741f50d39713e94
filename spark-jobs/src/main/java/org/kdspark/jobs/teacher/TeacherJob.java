package org.kdspark.jobs.teacher;

import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.ConfigHash;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.evaluate.Evaluation;
import org.kdspark.jobs.models.Models;
import org.kdspark.jobs.pipeline.RunLayout;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.jobs.spark.TableImages;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.jobs.store.ParquetArtifacts;
import org.kdspark.kd.model.ModelFiles;
import org.kdspark.kd.provenance.Provenance;

/**
 * Trains the teacher CNN in the driver JVM (DL4J, all cores) on the image table's training split, evaluates
 * it on the test split, and saves it as a DL4J zip with provenance. A teacher already saved with the same
 * teacher and dataset config is reused, not retrained.
 */
public final class TeacherJob {

    public static final String KIND = "teacher";

    /** The teacher's figures. */
    public record Result(double accuracy, double nll, double ece, long params, double seconds, boolean reused, String sha256) {
    }

    private TeacherJob() {
    }

    public static Result run(SparkSession spark, KdConfig config, RunLayout layout) {
        long start = System.nanoTime();
        HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
        Provenance images = ParquetArtifacts.provenance(spark, layout.images(), ImageTable.KIND, ImageTable.SCHEMA_VERSION);
        String hash = ConfigHash.of(config, "teacher", "dataset");
        String sidecar = layout.teacherDir() + "/provenance.json";
        if (files.exists(layout.teacherModel()) && files.exists(sidecar)) {
            Provenance existing = Provenance.fromJson(files.readString(sidecar));
            if (hash.equals(existing.details().get("config_hash")) && images.createdAt().equals(existing.inputs().get("images_created_at"))) {
                System.out.println("train-teacher: reusing " + layout.teacherModel() + " (same teacher config, same image table)");
                Map<String, Object> d = existing.details();
                return new Result(num(d.get("test_accuracy")), num(d.get("test_nll")), num(d.get("test_ece")),
                        ((Number) d.get("params")).longValue(), num(d.get("train_seconds")), true, files.sha256(layout.teacherModel()));
            }
        }
        Dataset<Row> table = ImageTable.read(spark, layout.images());
        TableImages.Collected train = TableImages.collect(table, ImageTable.TRAIN);
        TableImages.Collected test = TableImages.collect(table, ImageTable.TEST);
        int numClasses = ((java.util.List<?>) images.details().get("classes")).size();
        KdConfig.Teacher t = config.teacher;
        ComputationGraph teacher = Models.teacher(t, train.images().spec(), numClasses);
        System.out.printf(Locale.ROOT, "train-teacher: %s (%,d params) on %,d images, %d epochs%n", t.architecture, teacher.numParams(),
                train.images().count(), t.epochs);
        Models.fitTeacher(teacher, train.images(), numClasses, t, "train-teacher");
        double trainSeconds = (System.nanoTime() - start) / 1e9;
        Evaluation.Scores scores = Evaluation.evaluate(teacher, test.images(), null);
        System.out.printf(Locale.ROOT, "train-teacher: test accuracy %.4f after %.1f s%n", scores.accuracy(), trainSeconds);
        Provenance provenance = Provenance.of(KIND, 1, "train-teacher")
                .withEnvironment("spark", spark.version())
                .withConfig(ConfigLoader.toMap(config))
                .withInput("images", layout.images())
                .withInput("images_created_at", images.createdAt())
                .withCount("train_examples", train.images().count())
                .withCount("test_examples", test.images().count())
                .withDetail("architecture", t.architecture)
                .withDetail("config_hash", hash)
                .withDetail("input_spec", train.images().spec().toString())
                .withDetail("num_classes", numClasses)
                .withDetail("params", teacher.numParams())
                .withDetail("test_accuracy", scores.accuracy())
                .withDetail("test_nll", scores.nll())
                .withDetail("test_ece", scores.ece())
                .withDetail("train_seconds", trainSeconds);
        files.writeBytes(layout.teacherModel(), ModelFiles.toZip(teacher, provenance, false));
        files.writeStringAtomically(sidecar, provenance.toJson());
        return new Result(scores.accuracy(), scores.nll(), scores.ece(), teacher.numParams(), trainSeconds, false,
                files.sha256(layout.teacherModel()));
    }

    private static double num(Object o) {
        return o == null ? Double.NaN : ((Number) o).doubleValue();
    }

}
