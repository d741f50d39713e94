package org.kdspark.jobs.cli;

import java.util.Locale;
import java.util.concurrent.Callable;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.distill.DistillJob;
import org.kdspark.jobs.evaluate.EvaluateJob;
import org.kdspark.jobs.evaluate.Report;
import org.kdspark.jobs.pipeline.PipelineJob;
import org.kdspark.jobs.softlabels.SoftLabelJob;
import org.kdspark.jobs.teacher.TeacherJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The job subcommands other than ingest: each loads its config, runs one job, prints a summary line. */
final class JobCommands {

    private JobCommands() {
    }

    @Command(name = "train-teacher", mixinStandardHelpOptions = true,
            description = "Train the teacher CNN on OUTPUT/images and save OUTPUT/teacher/model.zip with provenance (reused when unchanged).")
    static final class TrainTeacher implements Callable<Integer> {
        @Mixin
        CommonOptions options;

        @Override
        public Integer call() {
            KdConfig config = options.load();
            return Runs.withSpark(config, "train-teacher", (spark, layout) -> {
                TeacherJob.Result r = TeacherJob.run(spark, config, layout);
                System.out.printf(Locale.ROOT, "train-teacher: test accuracy %.4f, %,d params, %s -> %s%n", r.accuracy(), r.params(),
                        r.reused() ? "reused" : String.format(Locale.ROOT, "%.1f s", r.seconds()), layout.teacherModel());
                return 0;
            });
        }
    }

    @Command(name = "soft-labels", mixinStandardHelpOptions = true,
            description = "Run the teacher over OUTPUT/images on Spark and write the soft-label store OUTPUT/soft-labels (logits + feature maps).")
    static final class SoftLabels implements Callable<Integer> {
        @Mixin
        CommonOptions options;

        @Override
        public Integer call() {
            KdConfig config = options.load();
            return Runs.withSpark(config, "soft-labels", (spark, layout) -> {
                SoftLabelJob.Result r = SoftLabelJob.run(spark, config, layout);
                System.out.printf(Locale.ROOT, "soft-labels: %d rows (%d train, %d test), %.0f bytes/row, %.1f s -> %s%n", r.rows(), r.train(),
                        r.test(), r.bytesPerRow(), r.seconds(), layout.softLabels());
                return 0;
            });
        }
    }

    @Command(name = "distill", mixinStandardHelpOptions = true,
            description = "Train the student on Spark (parameter averaging) from the soft-label store; method 'none' trains the hard-label baseline.")
    static final class Distill implements Callable<Integer> {
        @Mixin
        CommonOptions options;

        @Option(names = "--name", paramLabel = "NAME", description = "Student name under OUTPUT/students/ (default: 'kd', or 'baseline' for method none).")
        String name;

        @Override
        public Integer call() {
            KdConfig config = options.load();
            String student = name != null ? name : config.distill.method.equals("none") ? "baseline" : "kd";
            return Runs.withSpark(config, "distill", (spark, layout) -> {
                DistillJob.Result r = DistillJob.run(spark, config, layout, student);
                System.out.printf(Locale.ROOT, "distill: %s student (%s) test accuracy %.4f, %,d params, %.1f s -> %s%n", r.name(), r.method(),
                        r.scores().accuracy(), r.params(), r.seconds(), r.model());
                return 0;
            });
        }
    }

    @Command(name = "evaluate", mixinStandardHelpOptions = true,
            description = "Evaluate the teacher and every student of OUTPUT on the test split; write OUTPUT/report.json and report.md.")
    static final class Evaluate implements Callable<Integer> {
        @Mixin
        CommonOptions options;

        @Override
        public Integer call() {
            KdConfig config = options.load();
            return Runs.withSpark(config, "evaluate", (spark, layout) -> {
                Report.Content r = EvaluateJob.run(spark, config, layout, Double.NaN, false);
                System.out.print(Report.markdown(r));
                return 0;
            });
        }
    }

    @Command(name = "pipeline", mixinStandardHelpOptions = true,
            description = "Run ingest, teacher, soft labels, baseline and KD students, and the report, in one Spark application.")
    static final class Pipeline implements Callable<Integer> {
        @Mixin
        CommonOptions options;

        @Override
        public Integer call() {
            KdConfig config = options.load();
            return Runs.withSpark(config, "pipeline", (spark, layout) -> {
                PipelineJob.Result r = PipelineJob.run(spark, config, layout);
                System.out.println();
                System.out.print(Report.markdown(r.report()));
                return 0;
            });
        }
    }
}
