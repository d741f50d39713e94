package org.kdspark.jobs.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.kdspark.jobs.bench.InferenceBench;
import org.kdspark.jobs.bench.MethodsBench;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.pipeline.RunLayout;
import org.kdspark.kd.method.Methods;
import org.kdspark.kd.provenance.Provenance;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kd bench}: measurements that are not jobs. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks on a run.",
        subcommands = {BenchCommands.MethodsTable.class, BenchCommands.Inference.class, CommandLine.HelpCommand.class})
final class BenchCommands {

    /** {@code kd bench methods}. */
    @Command(name = "methods", mixinStandardHelpOptions = true,
            description = {"The methods table: the baseline and each distillation method train the config's student for the same epochs "
                    + "and, per seed, the same data order, from the teacher's store in --output (built or reused as the pipeline does); "
                    + "test accuracy as mean and standard deviation over the seeds.",
                "Prints the table as Markdown and writes it to --markdown."})
    static final class MethodsTable extends SparkCommand {
        @Option(names = "--methods", split = ",", paramLabel = "M", description = "Methods to compare with the baseline (default: all registered).")
        List<String> methods;

        @Option(names = "--seeds", split = ",", paramLabel = "SEED", defaultValue = "1,2,3", description = "Student seeds (default: ${DEFAULT-VALUE}).")
        List<Long> seeds;

        @Option(names = "--markdown", paramLabel = "FILE", description = "Where to write the table (e.g. docs/benchmarks.md).")
        Path markdown;

        @Override
        String job() {
            return "bench-methods";
        }

        @Override
        String run(SparkSession spark, KdConfig config, RunLayout layout) {
            List<String> chosen = methods != null ? methods : Methods.names();
            MethodsBench.Result r = MethodsBench.run(spark, config, layout, chosen, seeds);
            String md = MethodsBench.markdown(r, command());
            if (markdown != null) {
                try {
                    if (markdown.toAbsolutePath().getParent() != null) {
                        Files.createDirectories(markdown.toAbsolutePath().getParent());
                    }
                    Files.writeString(markdown, md);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return md + (markdown != null ? "-> " + markdown : "");
        }

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        /** The command line as given, for the table's "regenerate with" line. */
        private String command() {
            return "bin/kd " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
        }
    }

    /** {@code kd bench inference}. */
    @Command(name = "inference", mixinStandardHelpOptions = true,
            description = {"The KD value table: on the test images of the run in --output (read only), the teacher and the students in DL4J and in "
                    + "ONNX Runtime (images/s at batch 1 and 256, parameters, file sizes, test accuracy), the soft-label job with each backend "
                    + "(images/s, roofline_fraction against an ND4J GEMM measured in the same run) and its ratio to a plain one-JVM ONNX Runtime loop.",
                "Writes the figures to --json and prints them as Markdown tables."})
    static final class Inference extends SparkCommand {
        @Option(names = "--json", paramLabel = "FILE", required = true, description = "Where to write the figures (JSON).")
        Path json;

        @Option(names = "--seconds", paramLabel = "S", defaultValue = "5", description = "Timing per throughput case (default: ${DEFAULT-VALUE}).")
        double seconds;

        @Option(names = "--scratch", paramLabel = "DIR",
                description = "Local directory for the soft-label jobs' copies and outputs (default: a temporary directory, deleted afterwards).")
        Path scratch;

        @Override
        String job() {
            return "bench-inference";
        }

        @Override
        String run(SparkSession spark, KdConfig config, RunLayout layout) {
            Path dir = scratch;
            try {
                if (dir == null) {
                    dir = Files.createTempDirectory("kd-bench");
                }
                Map<String, Object> r = InferenceBench.run(spark, config, layout, dir, seconds);
                if (json.toAbsolutePath().getParent() != null) {
                    Files.createDirectories(json.toAbsolutePath().getParent());
                }
                Files.writeString(json, Provenance.json().writeValueAsString(r));
                return InferenceBench.markdown(r) + "-> " + json;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                if (scratch == null && dir != null) {
                    deleteTree(dir);
                }
            }
        }
    }

    private BenchCommands() {
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a leftover temporary directory is harmless
        }
    }
}
