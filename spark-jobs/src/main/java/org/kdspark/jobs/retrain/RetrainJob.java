package org.kdspark.jobs.retrain;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.distill.DistillJob;
import org.kdspark.jobs.ingest.IngestJob;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.softlabels.SoftLabelJob;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.jobs.store.ParquetArtifacts;
import org.kdspark.jobs.store.SoftLabelStore;
import org.kdspark.jobs.train.SparkScoring;
import org.kdspark.jobs.trainteacher.TeacherJob;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.error.JobFailedException;
import org.kdspark.kd.eval.ScoreSums;
import org.kdspark.kd.model.ModelFiles;
import org.kdspark.kd.progress.Progress;
import org.kdspark.kd.provenance.Provenance;

/**
 * Scheduled batch retraining ({@code kd retrain}): ingest the image set again (a folder that gained files is
 * re-read), label only the new images with the current teacher (the store is incremental), distill a candidate
 * student, judge it on a fixed held-out set, and promote it in the {@link ModelRegistry} only if it beats the
 * production student there.
 *
 * <p>The teacher is the run's existing one: a retrain never trains a new teacher over it (that would relabel
 * everything); {@code kd train-teacher} does, on purpose. The held-out set is the image table's test split as it was
 * at the first retrain, frozen in the registry with its pixels, so later images and edits cannot move the bar.
 * Both students are scored on it in this run. Every candidate is recorded as a version with its decision; a failed
 * run, or a candidate that is not better by {@code retrain.min_improvement}, leaves {@code current.json} untouched.
 */
public final class RetrainJob {

    /** The candidate's version, whether it was promoted, and the figures the decision rests on. */
    public record Result(String version, boolean promoted, String reason, double candidateAccuracy, String previousVersion,
            double previousAccuracy, long holdoutImages, long labelled, String registry) {
    }

    /** Name of the candidate student under OUTPUT/students/. */
    public static final String CANDIDATE = "candidate";
    private static final int STEPS = 6;
    static final String HOLDOUT_KIND = "holdout";

    private RetrainJob() {
    }

    public static Result run(SparkSession spark, KdConfig config, RunLayout layout) {
        long start = System.nanoTime();
        HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
        String registryUri = config.retrain().registry() != null ? config.retrain().registry() : layout.root() + "/registry";
        ModelRegistry registry = new ModelRegistry(files, registryUri, config.retrain().model());

        step(1, "ingest " + config.dataset().path());
        IngestJob.Result ingest = IngestJob.run(spark, config, layout);
        Progress.plain("  %d train + %d test images, %d rejected (%s)", ingest.train(), ingest.test(), ingest.rejected(),
                ingest.reused() ? "unchanged, reused" : "read");

        step(2, "teacher");
        if (files.exists(layout.teacherModel())) {
            Progress.plain("  keeping the current teacher %s (sha256 %s); 'kd train-teacher' replaces it", layout.teacherModel(),
                    files.sha256(layout.teacherModel()).substring(0, 12));
        } else {
            TeacherJob.Result teacher = TeacherJob.run(spark, config, layout);
            Progress.plain("  no teacher yet: trained one, test accuracy %.4f", teacher.accuracy());
        }

        step(3, "soft labels (new images only)");
        SoftLabelJob.Result labels = SoftLabelJob.run(spark, config, layout);

        step(4, "held-out set");
        Holdout holdout = holdout(spark, files, registry, layout);
        Progress.plain("  %d images, frozen at %s", holdout.count(), registry.holdout());

        step(5, "candidate student (" + config.distill().method() + ")");
        DistillJob.Result candidate = DistillJob.run(spark, config, layout, CANDIDATE);

        step(6, "decide");
        var current = registry.current();
        // candidate and production student in one pass over the held-out rows, on the executors
        List<ComputationGraph> compared = new ArrayList<>(List.of(graph(files, candidate.model())));
        current.ifPresent(c -> compared.add(graph(files, registry.model(c.version()))));
        int numClasses = SoftLabelStore.open(spark, layout.softLabels()).numClasses();
        List<ScoreSums> scored = SparkScoring.score(holdout.rows(), holdout.spec(), numClasses, compared, null).models();
        ScoreSums candidateScores = scored.get(0);
        ScoreSums currentScores = current.isPresent() ? scored.get(1) : null;
        double gain = currentScores == null ? Double.NaN : candidateScores.accuracy() - currentScores.accuracy();
        boolean promote = currentScores == null || gain > config.retrain().minImprovement();
        String reason = currentScores == null ? "no production student yet"
                : String.format(Locale.ROOT, "held-out accuracy %.4f vs %.4f of %s: %+.2f points, %s %.2f required", candidateScores.accuracy(),
                        currentScores.accuracy(), current.get().version(), 100 * gain, promote ? "more than the" : "not more than the",
                        100 * config.retrain().minImprovement());
        String version = registry.nextVersion();
        record(files, layout, registry, version, config, candidate, candidateScores, current.orElse(null), currentScores, promote, reason,
                labels, holdout.count(), start);
        if (promote) {
            registry.promote(new ModelRegistry.Current(version, candidateScores.accuracy(), Instant.now().toString()));
        }
        Progress.plain("  %s %s: %s", version, promote ? "PROMOTED" : "not promoted", reason);
        return new Result(version, promote, reason, candidateScores.accuracy(), current.map(ModelRegistry.Current::version).orElse(null),
                currentScores == null ? Double.NaN : currentScores.accuracy(), holdout.count(), labels.labelled(), registry.root());
    }

    /** The registry's frozen held-out images; at the first retrain, the image table's test split is frozen there. */
    /** The frozen held-out rows, as the run's image table declares their pixels, and how many there are. */
    private record Holdout(Dataset<Row> rows, InputSpec spec, long count) {
    }

    private static Holdout holdout(SparkSession spark, HadoopFiles files, ModelRegistry registry, RunLayout layout) {
        if (!files.exists(registry.holdout() + "/" + ParquetArtifacts.SIDECAR)) {
            Provenance images = ParquetArtifacts.provenance(spark, layout.images(), ImageTable.KIND, ImageTable.SCHEMA_VERSION);
            Dataset<Row> test = ImageTable.read(spark, layout.images()).filter(org.apache.spark.sql.functions.col(ImageTable.SPLIT).equalTo(ImageTable.TEST));
            ParquetArtifacts.write(test.coalesce(1), registry.holdout(), Provenance.of(HOLDOUT_KIND, ImageTable.SCHEMA_VERSION, "retrain")
                    .withInput("images", layout.images())
                    .withInput("images_created_at", images.createdAt())
                    .withCount("images", images.counts().getOrDefault("test", 0L))
                    .withDetail("classes", images.details().get("classes")));
        }
        ParquetArtifacts.provenance(spark, registry.holdout(), HOLDOUT_KIND, ImageTable.SCHEMA_VERSION);
        // the held-out pixels as the students being compared take them: the run's image table declares that
        Dataset<Row> frozen = ImageTable.read(spark, registry.holdout());
        InputSpec spec = ImageTable.open(spark, layout.images()).spec();
        Dataset<Row> rows = SparkScoring.rows(frozen.filter(org.apache.spark.sql.functions.col(ImageTable.SPLIT).equalTo(ImageTable.TEST)), null, null);
        Holdout holdout = new Holdout(rows, spec, rows.count());
        if (holdout.count() == 0) {
            throw new JobFailedException("the held-out set " + registry.holdout() + " is empty: the image table had no test images when it"
                    + " was frozen; delete it and run again with test images (dataset.test_fraction, or ROOT/test/CLASS/...)");
        }
        return holdout;
    }

    /** Writes the candidate's version: its files, then retrain.json (the decision) last, which marks it complete. */
    private static void record(HadoopFiles files, RunLayout layout, ModelRegistry registry, String version, KdConfig config,
            DistillJob.Result candidate, ScoreSums candidateScores, ModelRegistry.Current current, ScoreSums currentScores,
            boolean promote, String reason, SoftLabelJob.Result labels, long holdoutImages, long start) {
        String from = layout.studentDir(CANDIDATE);
        for (String name : List.of("model.zip", "model.onnx", "provenance.json", "history.json")) {
            if (files.exists(from + "/" + name)) {
                files.copy(from + "/" + name, registry.versionDir(version) + "/" + name);
            }
        }
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("version", version);
        figures.put("promoted", promote);
        figures.put("reason", reason);
        figures.put("holdout_images", holdoutImages);
        figures.put("candidate", scores(candidateScores));
        figures.put("previous_version", current == null ? null : current.version());
        figures.put("previous", currentScores == null ? null : scores(currentScores));
        figures.put("min_improvement", config.retrain().minImprovement());
        figures.put("train_examples", candidate.trainExamples());
        figures.put("soft_labels", Map.of("version", labels.version(), "rows", labels.rows(), "labelled_now", labels.labelled(),
                "reused", labels.reused()));
        figures.put("seconds", (System.nanoTime() - start) / 1e9);
        Provenance decision = Provenance.of("retrain-decision", 1, "retrain")
                .withConfig(ConfigLoader.toMap(config))
                .withInput("run", layout.root())
                .withInput("teacher_sha256", labels.teacherSha256())
                .withDetail("decision", figures);
        files.writeStringAtomically(registry.decision(version), decision.toJson());
    }

    private static Map<String, Object> scores(ScoreSums s) {
        return Map.of("accuracy", s.accuracy(), "nll", s.nll(), "ece", s.ece());
    }

    private static ComputationGraph graph(HadoopFiles files, String uri) {
        return ModelFiles.graphFromZip(files.readBytes(uri), false);
    }

    private static void step(int n, String what) {
        Progress.plain("[%d/%d] %s", n, STEPS, what);
    }
}
