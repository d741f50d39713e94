package org.kdspark.jobs.pipeline;

import org.apache.spark.sql.SparkSession;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.distill.DistillJob;
import org.kdspark.jobs.evaluate.EvaluateJob;
import org.kdspark.jobs.evaluate.Report;
import org.kdspark.jobs.export.NotebookExport;
import org.kdspark.jobs.ingest.IngestJob;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.softlabels.SoftLabelJob;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.jobs.teacher.Teachers;
import org.kdspark.jobs.trainteacher.TeacherJob;
import org.kdspark.kd.method.Methods;
import org.kdspark.kd.model.TeacherModels;
import org.kdspark.kd.progress.Progress;

/**
 * The whole offline-KD pipeline in one Spark application: ingest, teacher (reused when unchanged; not trained when
 * {@code soft_labels.teacher_model} names one trained elsewhere, which is checked against the dataset first), soft
 * labels, the baseline student (hard labels), the KD student (same architecture, seed, data order and epochs),
 * and the report.
 */
public final class PipelineJob {

    /** The report and where it was written. */
    public record Result(Report.Content report, String reportJson, String reportMarkdown) {
    }

    private static final int STEPS = 7;
    /** Thumbnails per split in the notebook export: enough for the explorer's grids, a few hundred KB. */
    private static final int NOTEBOOK_THUMBNAILS = 256;

    private PipelineJob() {
    }

    public static Result run(SparkSession spark, KdConfig config, RunLayout layout) {
        return run(spark, config, layout, false);
    }

    /** The pipeline; {@code resume} continues each student from its last checkpoint. */
    public static Result run(SparkSession spark, KdConfig config, RunLayout layout, boolean resume) {
        long start = System.nanoTime();
        // a teacher trained elsewhere must fit the images before anything is ingested or trained
        TeacherModels.Teacher supplied = Teachers.checkSuppliedTeacher(new HadoopFiles(spark.sparkContext().hadoopConfiguration()), config);
        step(1, "ingest " + config.dataset().path());
        IngestJob.Result ingest = IngestJob.run(spark, config, layout);
        Progress.plain("  %d train + %d test images, %d rejected, %.1f s", ingest.train(), ingest.test(), ingest.rejected(),
                ingest.seconds());

        boolean teacherReused = true;
        if (supplied != null) {
            step(2, "teacher: " + supplied.source() + " (" + supplied.kind().id() + ", soft_labels.teacher_model), not trained here");
        } else {
            step(2, "teacher " + config.teacher().architecture());
            TeacherJob.Result teacher = TeacherJob.run(spark, config, layout);
            Progress.plain("  teacher test accuracy %.4f (%s)", teacher.accuracy(), teacher.reused() ? "reused" : "trained");
            teacherReused = teacher.reused();
        }

        step(3, "soft labels");
        SoftLabelJob.Result labels = SoftLabelJob.run(spark, config, layout);
        Progress.plain("  %d rows (%d labelled now, %d reused), %.0f bytes/row, %.1f s", labels.rows(), labels.labelled(),
                labels.reused(), labels.bytesPerRow(), labels.seconds());

        step(4, "baseline student (hard labels only)");
        KdConfig baselineConfig = config.withDistill(d -> d.withMethod(Methods.BASELINE));
        DistillJob.Result baseline = DistillJob.run(spark, baselineConfig, layout, "baseline", resume);
        Progress.plain("  baseline test accuracy %.4f", baseline.scores().accuracy());

        step(5, "KD student (" + config.distill().method() + "): " + config.studentObjective());
        DistillJob.Result kd = DistillJob.run(spark, config, layout, "kd", resume);
        Progress.plain("  KD test accuracy %.4f (%+.2f points over the baseline)", kd.scores().accuracy(),
                100 * (kd.scores().accuracy() - baseline.scores().accuracy()));

        step(6, "evaluate and report");
        Report.Content report = EvaluateJob.run(spark, config, layout, (System.nanoTime() - start) / 1e9, teacherReused);
        Progress.plain("  %s", layout.reportMarkdown());

        step(7, "export for the notebooks");
        NotebookExport.Result export = NotebookExport.run(spark, layout, NOTEBOOK_THUMBNAILS);
        Progress.plain("  %s", export.directory());
        return new Result(report, layout.reportJson(), layout.reportMarkdown());
    }

    private static void step(int n, String what) {
        Progress.plain("[%d/%d] %s", n, STEPS, what);
    }
}
