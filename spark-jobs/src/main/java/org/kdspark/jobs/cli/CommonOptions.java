package org.kdspark.jobs.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import picocli.CommandLine.Option;

/** Options every job subcommand takes: the config file and its overrides. */
public final class CommonOptions {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "Job config (YAML), e.g. conf/fashion-mnist.yaml. Without it the built-in defaults apply.")
    Path config;

    @Option(names = {"-o", "--output"}, paramLabel = "DIR", description = "Output directory of the run (any Hadoop URI); overrides the config's 'output'.")
    String output;

    @Option(names = "--master", paramLabel = "URL", description = "Spark master, e.g. local[2], yarn; overrides spark.master. Default: spark-submit's, else local[*].")
    String master;

    @Option(names = {"-s", "--set"}, paramLabel = "KEY=VALUE", description = "Override one config key (dotted snake_case), e.g. --set distill.epochs=3. Repeatable.")
    List<String> overrides = new ArrayList<>();

    /** The validated config with every override applied. */
    public KdConfig load() {
        List<String> all = new ArrayList<>(overrides);
        if (output != null) {
            all.add("output=" + output);
        }
        if (master != null) {
            all.add("spark.master=" + master);
        }
        return ConfigLoader.load(config, all);
    }
}
