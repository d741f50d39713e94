package org.kdspark.jobs.trainteacher;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.models.Models;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.jobs.store.ParquetArtifacts;
import org.kdspark.jobs.store.TableImages;
import org.kdspark.kd.eval.Evaluation;
import org.kdspark.kd.model.ModelFiles;
import org.kdspark.kd.progress.Progress;
import org.kdspark.kd.provenance.Hashes;
import org.kdspark.kd.provenance.Provenance;

/**
 * Trains the teacher CNN in the driver JVM (DL4J, all cores) on the image table's training split, evaluates
 * it on the test split, and saves it as a DL4J zip with provenance. A teacher already saved with the same
 * teacher and dataset config is reused, not retrained.
 */
public final class TeacherJob {

    public static final String KIND = "teacher";

    /**
     * The teacher's figures; {@code members} are those of the further ensemble teachers ({@code teacher.ensemble_seeds},
     * in order), empty for one teacher and for each member itself.
     */
    public record Result(double accuracy, double nll, double ece, long params, double seconds, boolean reused, String sha256,
            List<Result> members) {

        Result withMembers(List<Result> members) {
            return new Result(accuracy, nll, ece, params, seconds, reused, sha256, List.copyOf(members));
        }
    }

    private TeacherJob() {
    }

    /**
     * Trains the teacher into {@code OUTPUT/teacher/} and each further ensemble teacher, the same config with one of
     * {@code teacher.ensemble_seeds}, into {@code OUTPUT/teacher/seed-S/}; each is reused when already saved with the
     * same config and image table.
     */
    public static Result run(SparkSession spark, KdConfig config, RunLayout layout) {
        Provenance images = ParquetArtifacts.provenance(spark, layout.images(), ImageTable.KIND, ImageTable.SCHEMA_VERSION);
        Result teacher = train(spark, config, layout, layout.teacherDir(), images, "train-teacher");
        List<Result> members = new ArrayList<>();
        for (long seed : config.teacher().ensembleSeeds()) {
            KdConfig member = config.withTeacher(t -> t.withSeed(seed).withEnsembleSeeds(List.of()));
            members.add(train(spark, member, layout, layout.teacherMemberDir(seed), images, "train-teacher (seed " + seed + ")"));
        }
        return teacher.withMembers(members);
    }

    /**
     * The config hash a saved teacher is reused by: the teacher section, without the other ensemble seeds (adding a
     * member must not retrain the teacher), and the dataset section.
     */
    static String configHash(KdConfig config) {
        Map<String, Object> all = ConfigLoader.toMap(config);
        @SuppressWarnings("unchecked")
        Map<String, Object> teacher = new LinkedHashMap<>((Map<String, Object>) all.get("teacher"));
        teacher.remove("ensemble_seeds");
        Map<String, Object> relevant = new LinkedHashMap<>();
        relevant.put("teacher", teacher);
        relevant.put("dataset", all.get("dataset"));
        return Hashes.ofValue(relevant);
    }

    private static Result train(SparkSession spark, KdConfig config, RunLayout layout, String dir, Provenance images, String log) {
        long start = System.nanoTime();
        HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
        String model = dir + "/model.zip";
        String hash = configHash(config);
        String sidecar = dir + "/provenance.json";
        if (files.exists(model) && files.exists(sidecar)) {
            Provenance existing = Provenance.fromJson(files.readString(sidecar));
            if (hash.equals(existing.details().get("config_hash")) && images.createdAt().equals(existing.inputs().get("images_created_at"))) {
                Progress.of(log).line("reusing %s (same teacher config, same image table)", model);
                Map<String, Object> d = existing.details();
                return new Result(num(d.get("test_accuracy")), num(d.get("test_nll")), num(d.get("test_ece")),
                        ((Number) d.get("params")).longValue(), num(d.get("train_seconds")), true, files.sha256(model), List.of());
            }
        }
        ImageTable.Opened table = ImageTable.open(spark, layout.images());
        TableImages.Collected train = TableImages.collect(table, ImageTable.TRAIN);
        TableImages.Collected test = TableImages.collect(table, ImageTable.TEST);
        int numClasses = ((List<?>) images.details().get("classes")).size();
        KdConfig.Teacher t = config.teacher();
        ComputationGraph teacher = Models.teacher(t, train.images().spec(), numClasses);
        Progress.of(log).line("%s (%,d params) on %,d images, %d epochs", t.architecture(), teacher.numParams(),
                train.images().count(), t.epochs());
        Models.fitTeacher(teacher, train.images(), numClasses, t, log);
        double trainSeconds = (System.nanoTime() - start) / 1e9;
        Evaluation.Scores scores = Evaluation.evaluate(teacher, test.images(), null);
        Progress.of(log).line("test accuracy %.4f after %.1f s", scores.accuracy(), trainSeconds);
        Provenance provenance = Provenance.of(KIND, 1, "train-teacher")
                .withEnvironment("spark", spark.version())
                .withConfig(ConfigLoader.toMap(config))
                .withInput("images", layout.images())
                .withInput("images_created_at", images.createdAt())
                .withCount("train_examples", train.images().count())
                .withCount("test_examples", test.images().count())
                .withDetail("architecture", t.architecture())
                .withDetail("config_hash", hash)
                .withDetail("input_spec", train.images().spec().toString())
                .withDetail("num_classes", numClasses)
                .withDetail("params", teacher.numParams())
                .withDetail("test_accuracy", scores.accuracy())
                .withDetail("test_nll", scores.nll())
                .withDetail("test_ece", scores.ece())
                .withDetail("train_seconds", trainSeconds);
        byte[] zip = ModelFiles.toZip(teacher, provenance, false);
        files.writeBytes(model, zip);
        files.writeStringAtomically(sidecar, provenance.toJson());
        return new Result(scores.accuracy(), scores.nll(), scores.ece(), teacher.numParams(), trainSeconds, false, Hashes.sha256(zip), List.of());
    }

    private static double num(Object o) {
        return o == null ? Double.NaN : ((Number) o).doubleValue();
    }

}
