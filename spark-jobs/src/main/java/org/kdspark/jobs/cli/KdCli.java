package org.kdspark.jobs.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.kdspark.jobs.config.ConfigDescription;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.kd.error.JobFailedException;
import org.kdspark.kd.error.UserInputException;
import org.kdspark.kd.provenance.BuildInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * The {@code kd} command line: one main class for the local launcher {@code bin/kd} and for
 * {@code spark-submit --class org.kdspark.jobs.cli.KdCli}. {@code main} only parses and dispatches; each
 * subcommand loads and validates its config and calls a job's {@code run}.
 */
@Command(name = "kd", mixinStandardHelpOptions = true, versionProvider = KdCli.Version.class,
        description = "Distributed knowledge distillation on Apache Spark.",
        subcommands = {
            JobCommands.Ingest.class, JobCommands.TrainTeacher.class, JobCommands.SoftLabels.class, JobCommands.Distill.class,
            JobCommands.Evaluate.class, JobCommands.Pipeline.class, JobCommands.Retrain.class, JobCommands.Export.class, GenerateCommand.class, BenchCommands.class, KdCli.Config.class, KdCli.MethodList.class, CommandLine.HelpCommand.class})
public final class KdCli {

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /**
     * Runs the command line and returns the exit code: 0 success; 2 usage or user-input error ({@link UserInputException}:
     * a config key, a file, a model or a device that cannot be used; the message alone is printed); 1 a job that failed
     * for a reason its message states ({@link JobFailedException}; the message alone), or a bug (any other exception,
     * printed with its stack trace).
     */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new KdCli()).setCaseInsensitiveEnumValuesAllowed(true);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            if (e instanceof UserInputException) {
                err.println("kd " + cmd.getCommandName() + ": " + e.getMessage());
            } else if (e instanceof JobFailedException) {
                err.println("kd " + cmd.getCommandName() + " failed: " + e.getMessage());
            } else {
                err.println("kd " + cmd.getCommandName() + " failed: " + e);
                e.printStackTrace(err);
            }
            err.flush();
            return e instanceof UserInputException ? 2 : 1;
        });
        return cli.execute(args);
    }

    /** {@code kd config}: print the effective configuration, or describe every key. */
    @Command(name = "config", mixinStandardHelpOptions = true, description = {"Validate a config and print it with every default and override"
            + " applied.", "--describe: print every key with its type, default and meaning (docs/configuration.md) instead."})
    static final class Config implements Callable<Integer> {
        @Mixin
        CommonOptions options;

        @Option(names = "--describe", description = "Print every configuration key with its type, default and meaning, as Markdown.")
        boolean describe;

        @Override
        public Integer call() {
            System.out.print(describe ? ConfigDescription.markdown() : ConfigLoader.toYaml(options.load()));
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
