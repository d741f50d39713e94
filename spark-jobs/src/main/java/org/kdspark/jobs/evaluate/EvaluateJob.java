package org.kdspark.jobs.evaluate;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.pipeline.RunLayout;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.jobs.spark.TableImages;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.jobs.store.ParquetArtifacts;
import org.kdspark.jobs.store.SoftLabelStore;
import org.kdspark.kd.model.ModelFiles;
import org.kdspark.kd.provenance.BuildInfo;
import org.kdspark.kd.provenance.Provenance;

/**
 * Evaluates the teacher and every student of a run on the test split and writes {@code report.json} and
 * {@code report.md}. Timings come from the artifacts' provenance, so the report can be rebuilt at any time.
 */
public final class EvaluateJob {

    private EvaluateJob() {
    }

    @SuppressWarnings("unchecked")
    public static Report.Content run(SparkSession spark, KdConfig config, RunLayout layout, double totalSeconds, boolean teacherReused) {
        HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
        Provenance images = ParquetArtifacts.provenance(spark, layout.images(), ImageTable.KIND, ImageTable.SCHEMA_VERSION);
        Provenance store = ParquetArtifacts.provenance(spark, layout.softLabels(), SoftLabelStore.KIND, SoftLabelStore.SCHEMA_VERSION);
        int numClasses = ((Number) store.details().get("num_classes")).intValue();
        Dataset<Row> table = spark.read().parquet(layout.images());
        TableImages.Collected test = TableImages.collect(table, ImageTable.TEST);
        float[] teacherLogits = Evaluation.teacherLogits(spark.read().parquet(layout.softLabels()), test.ids(), numClasses);

        byte[] teacherZip = files.readBytes(layout.teacherModel());
        Provenance teacherProvenance = ModelFiles.provenanceFromZip(teacherZip);
        ComputationGraph teacher = ModelFiles.graphFromZip(teacherZip, false);
        Evaluation.Scores teacherScores = Evaluation.evaluate(teacher, test.images(), null);

        Map<String, Report.Student> students = new LinkedHashMap<>();
        for (String name : studentNames(files, layout)) {
            byte[] zip = files.readBytes(layout.studentModel(name));
            Provenance p = ModelFiles.provenanceFromZip(zip);
            ComputationGraph student = ModelFiles.graphFromZip(zip, false);
            Evaluation.Scores s = Evaluation.evaluate(student, test.images(), teacherLogits);
            Map<String, Object> d = p == null ? Map.of() : p.details();
            students.put(name, new Report.Student(name, String.valueOf(d.getOrDefault("method", "?")), s.accuracy(), student.numParams(),
                    num(d.get("seconds")), num(d.get("train_seconds")), num(d.get("examples_per_s")), s.nll(), s.ece(),
                    s.teacherAgreement(), s.klFromTeacher()));
        }
        Map<String, Object> distill = new LinkedHashMap<>();
        Map<String, Object> configMap = ConfigLoader.toMap(config);
        distill.putAll((Map<String, Object>) configMap.get("distill"));
        Report.Content content = new Report.Content(config.dataset.name, images.counts().getOrDefault("train", 0L),
                images.counts().getOrDefault("test", 0L), teacherScores.accuracy(), teacher.numParams(),
                teacherProvenance == null ? Double.NaN : num(teacherProvenance.details().get("train_seconds")), teacherReused,
                teacherScores.nll(), teacherScores.ece(), store.counts().getOrDefault("rows", 0L), num(store.details().get("bytes_per_row")),
                num(store.details().get("seconds")), students, distill, totalSeconds, BuildInfo.code());
        files.writeStringAtomically(layout.reportJson(), Report.json(content));
        files.writeStringAtomically(layout.reportMarkdown(), Report.markdown(content));
        return content;
    }

    /** Students present in the run, baseline first, then kd, then others by name. */
    static List<String> studentNames(HadoopFiles files, RunLayout layout) {
        String dir = layout.root() + "/students";
        if (!files.exists(dir)) {
            return List.of();
        }
        try {
            FileStatus[] all = files.fs(dir).listStatus(new Path(dir));
            return java.util.Arrays.stream(all)
                    .filter(FileStatus::isDirectory)
                    .map(s -> s.getPath().getName())
                    .filter(n -> files.exists(layout.studentModel(n)))
                    .sorted((a, b) -> Integer.compare(rank(a), rank(b)) != 0 ? Integer.compare(rank(a), rank(b)) : a.compareTo(b))
                    .toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static int rank(String name) {
        return name.equals("baseline") ? 0 : name.equals("kd") ? 1 : 2;
    }

    private static double num(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }
}
