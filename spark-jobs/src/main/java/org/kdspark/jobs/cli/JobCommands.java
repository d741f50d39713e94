package org.kdspark.jobs.cli;

import java.util.Locale;
import org.apache.spark.sql.SparkSession;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.distill.DistillJob;
import org.kdspark.jobs.evaluate.EvaluateJob;
import org.kdspark.jobs.evaluate.Report;
import org.kdspark.jobs.export.NotebookExport;
import org.kdspark.jobs.ingest.IngestJob;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.onnx.OnnxModelExport;
import org.kdspark.jobs.pipeline.PipelineJob;
import org.kdspark.jobs.retrain.RetrainJob;
import org.kdspark.jobs.softlabels.SoftLabelJob;
import org.kdspark.jobs.trainteacher.TeacherJob;
import org.kdspark.kd.error.UserInputException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The job subcommands: each runs one job and prints a summary line. */
final class JobCommands {

    private JobCommands() {
    }

    @Command(name = "ingest", mixinStandardHelpOptions = true,
            description = "Read the image set (IDX files or a class-per-subfolder directory) into the Parquet image table OUTPUT/images.")
    static final class Ingest extends SparkCommand {
        @Override
        String job() {
            return "ingest";
        }

        @Override
        String run(SparkSession spark, KdConfig config, RunLayout layout) {
            IngestJob.Result r = IngestJob.run(spark, config, layout);
            return String.format(Locale.ROOT, "ingest: %d train + %d test images, %d rejected, of %d files seen, in %.1f s -> %s",
                    r.train(), r.test(), r.rejected(), r.filesSeen(), r.seconds(), layout.images());
        }
    }

    @Command(name = "train-teacher", mixinStandardHelpOptions = true,
            description = "Train the teacher CNN on OUTPUT/images and save OUTPUT/teacher/model.zip with provenance (reused when unchanged).")
    static final class TrainTeacher extends SparkCommand {
        @Override
        String job() {
            return "train-teacher";
        }

        @Override
        String run(SparkSession spark, KdConfig config, RunLayout layout) {
            TeacherJob.Result r = TeacherJob.run(spark, config, layout);
            StringBuilder out = new StringBuilder(line(r, layout.teacherModel()));
            for (int i = 0; i < r.members().size(); i++) {
                out.append('\n').append(line(r.members().get(i), layout.teacherMemberModel(config.teacher().ensembleSeeds().get(i))));
            }
            return out.toString();
        }

        private static String line(TeacherJob.Result r, String model) {
            return String.format(Locale.ROOT, "train-teacher: test accuracy %.4f, %,d params, %s -> %s", r.accuracy(), r.params(),
                    r.reused() ? "reused" : String.format(Locale.ROOT, "%.1f s", r.seconds()), model);
        }
    }

    @Command(name = "soft-labels", mixinStandardHelpOptions = true,
            description = "Run the teacher over OUTPUT/images on Spark and write the soft-label store OUTPUT/soft-labels (logits + feature maps);"
                    + " images this teacher already labelled are skipped.")
    static final class SoftLabels extends SparkCommand {
        @Override
        String job() {
            return "soft-labels";
        }

        @Override
        String run(SparkSession spark, KdConfig config, RunLayout layout) {
            SoftLabelJob.Result r = SoftLabelJob.run(spark, config, layout);
            return String.format(Locale.ROOT, "soft-labels: %d rows (%d train, %d test; %d labelled now, %d reused), %.0f bytes/row, %.1f s -> %s/%s",
                    r.rows(), r.train(), r.test(), r.labelled(), r.reused(), r.bytesPerRow(), r.seconds(), layout.softLabels(), r.version());
        }
    }

    @Command(name = "retrain", mixinStandardHelpOptions = true,
            description = "Scheduled retraining: label new images only, distill a candidate, judge it on the registry's frozen held-out set"
                    + " and promote it (atomic switch of REGISTRY/MODEL/current.json) only if it beats the production student.")
    static final class Retrain extends SparkCommand {
        @Override
        String job() {
            return "retrain";
        }

        @Override
        String run(SparkSession spark, KdConfig config, RunLayout layout) {
            RetrainJob.Result r = RetrainJob.run(spark, config, layout);
            return String.format(Locale.ROOT, "retrain: %s %s (%s); %d images labelled now -> %s", r.version(),
                    r.promoted() ? "promoted" : "not promoted", r.reason(), r.labelled(), r.registry());
        }
    }

    @Command(name = "distill", mixinStandardHelpOptions = true,
            description = "Train the student on Spark (parameter averaging) from the soft-label store; method 'none' trains the hard-label baseline.")
    static final class Distill extends SparkCommand {
        @Option(names = "--name", paramLabel = "NAME", description = "Student name under OUTPUT/students/ (default: 'kd', or 'baseline' for method none).")
        String name;

        @Option(names = "--resume", description = "Continue from the student's last complete checkpoint (written after every epoch); a"
                + " checkpoint of another config is refused.")
        boolean resume;

        @Override
        String job() {
            return "distill";
        }

        @Override
        String run(SparkSession spark, KdConfig config, RunLayout layout) {
            String student = name != null ? name : config.distill().method().equals("none") ? "baseline" : "kd";
            DistillJob.Result r = DistillJob.run(spark, config, layout, student, resume);
            return String.format(Locale.ROOT, "distill: %s student (%s) test accuracy %.4f, %,d params, %.1f s -> %s", r.name(), r.method(),
                    r.scores().accuracy(), r.params(), r.seconds(), r.model());
        }
    }

    @Command(name = "evaluate", mixinStandardHelpOptions = true,
            description = "Evaluate the teacher and every student of OUTPUT on the test split; write OUTPUT/report.json and report.md.")
    static final class Evaluate extends SparkCommand {
        @Override
        String job() {
            return "evaluate";
        }

        @Override
        String run(SparkSession spark, KdConfig config, RunLayout layout) {
            return Report.markdown(EvaluateJob.run(spark, config, layout, Double.NaN, false));
        }
    }

    @Command(name = "pipeline", mixinStandardHelpOptions = true,
            description = "Run ingest, teacher, soft labels, baseline and KD students, the report and the notebook export in one Spark application.")
    static final class Pipeline extends SparkCommand {
        @Option(names = "--resume", description = "Resume each student from its last complete checkpoint; finished steps are reused anyway.")
        boolean resume;

        @Override
        String job() {
            return "pipeline";
        }

        @Override
        String run(SparkSession spark, KdConfig config, RunLayout layout) {
            return System.lineSeparator() + Report.markdown(PipelineJob.run(spark, config, layout, resume).report());
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = {"--format notebook (default): write OUTPUT/export/ for the notebooks: soft_labels.csv, thumbnails_SPLIT.bin/.json and export.json (no Parquet reader needed).",
                "--format onnx: write a DL4J model of the run as an ONNX file (opset 13, dynamic batch), verified against DL4J on the run's test images (max abs logit difference <= 1e-4, same argmax) or refused naming the layer and the difference."})
    static final class Export extends SparkCommand {
        @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "notebook",
                description = "notebook or onnx (default: ${DEFAULT-VALUE}).")
        String format;

        @Option(names = "--thumbnails", paramLabel = "N", defaultValue = "256",
                description = "notebook: images copied per split, 0 to " + NotebookExport.MAX_THUMBNAILS_PER_SPLIT + " (default: ${DEFAULT-VALUE}).")
        int thumbnails;

        @Option(names = "--model", paramLabel = "M",
                description = "onnx: 'teacher', a student name under OUTPUT/students/ (e.g. kd), or the path of a DL4J model zip.")
        String model;

        @Option(names = "--out", paramLabel = "FILE", description = "onnx: the ONNX file to write (default: model.onnx next to the model zip).")
        String out;

        @Option(names = "--taps", paramLabel = "VERTEX", split = ",",
                description = "onnx: vertices exported as extra outputs beside 'logits', e.g. --taps block2,embedding.")
        java.util.List<String> taps = new java.util.ArrayList<>();

        @Override
        String job() {
            return "export";
        }

        @Override
        String run(SparkSession spark, KdConfig config, RunLayout layout) {
            switch (format) {
                case "notebook" -> {
                    NotebookExport.Result r = NotebookExport.run(spark, layout, thumbnails);
                    return String.format(Locale.ROOT, "export: %d soft-label rows, %d classes, thumbnails %s, %,d bytes, %.1f s -> %s", r.rows(),
                            r.numClasses(), r.thumbnails(), r.bytes(), r.seconds(), r.directory());
                }
                case "onnx" -> {
                    if (model == null) {
                        throw new UserInputException("--format onnx needs --model (teacher, a student name, or a model zip)");
                    }
                    OnnxModelExport.Result r = OnnxModelExport.run(spark, layout, model, out, taps);
                    return String.format(Locale.ROOT, "export: %s -> %s (%,d bytes, outputs %s), verified on %d test images, "
                            + "max abs diff %.3g, same argmax, %.1f s", r.source(), r.file(), r.bytes(), r.outputs(), r.verifiedImages(),
                            r.maxAbsDiff(), r.seconds());
                }
                default -> throw new UserInputException("--format must be notebook or onnx, got '" + format + "'");
            }
        }
    }
}
