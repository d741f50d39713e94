package org.kdspark.jobs.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.kdspark.jobs.config.ConfigException;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.ingest.IngestJob;
import org.kdspark.kd.gpu.UnsupportedGpuException;
import org.kdspark.kd.provenance.BuildInfo;
import org.kdspark.kd.provenance.Provenance;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * The {@code kd} command line: one main class for the local launcher {@code bin/kd} and for
 * {@code spark-submit --class org.kdspark.jobs.cli.KdCli}. {@code main} only parses and dispatches; each
 * subcommand loads and validates its config and calls a job's {@code run}.
 */
@Command(name = "kd", mixinStandardHelpOptions = true, versionProvider = KdCli.Version.class,
        description = "Distributed knowledge distillation on Apache Spark.",
        subcommands = {
            JobCommands.Ingest.class, JobCommands.TrainTeacher.class, JobCommands.SoftLabels.class, JobCommands.Distill.class,
            JobCommands.Evaluate.class, JobCommands.Pipeline.class, JobCommands.Retrain.class, JobCommands.Export.class, BenchCommands.class, KdCli.Config.class, KdCli.MethodList.class, CommandLine.HelpCommand.class})
public final class KdCli {

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns the exit code (0 ok, 1 job failure, 2 usage or config error). */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new KdCli());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            if (e instanceof ConfigException || e instanceof IngestJob.DatasetMissingException
                    || e instanceof Provenance.IncompatibleArtifactException || e instanceof IllegalArgumentException
                    || e instanceof UnsupportedGpuException) {
                err.println("kd " + cmd.getCommandName() + ": " + e.getMessage());
                err.flush();
                return 2;
            }
            if (e instanceof org.kdspark.kd.onnx.OnnxVerificationException || e instanceof org.kdspark.kd.onnx.UnsupportedModelException
                    || e instanceof org.kdspark.kd.onnx.OnnxRuntimeEnvironment.GpuUnavailableException) {
                // the message names the layer and difference, or what is missing: a stack trace adds nothing
                err.println("kd " + cmd.getCommandName() + " failed: " + e.getMessage());
                err.flush();
                return 1;
            }
            err.println("kd " + cmd.getCommandName() + " failed: " + e);
            e.printStackTrace(err);
            err.flush();
            return 1;
        });
        return cli.execute(args);
    }

    /** {@code kd config}: print the effective configuration. */
    @Command(name = "config", mixinStandardHelpOptions = true, description = "Validate a config and print it with every default and override applied.")
    static final class Config implements Callable<Integer> {
        @Mixin
        CommonOptions options;

        @Override
        public Integer call() {
            System.out.print(ConfigLoader.toYaml(options.load()));
            return 0;
        }
    }

    /** {@code kd methods}: the registered distillation methods. */
    @Command(name = "methods", mixinStandardHelpOptions = true, description = "List the registered distillation methods, one line each.")
    static final class MethodList implements Callable<Integer> {
        @Override
        public Integer call() {
            System.out.print(org.kdspark.kd.method.Methods.describe());
            return 0;
        }
    }

    /** Prints the build version. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"kd " + BuildInfo.version() + " (commit " + BuildInfo.code().get("commit") + ")"};
        }
    }
}
