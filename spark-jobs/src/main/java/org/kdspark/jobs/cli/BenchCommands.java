package org.kdspark.jobs.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.kdspark.jobs.bench.MethodsBench;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.pipeline.RunLayout;
import org.kdspark.kd.method.Methods;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kd bench}: measurements that are not jobs. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks.",
        subcommands = {BenchCommands.MethodsTable.class, CommandLine.HelpCommand.class})
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

    private BenchCommands() {
    }
}
