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
import org.kdspark.jobs.bench.DistillBench;
import org.kdspark.jobs.bench.InferenceBench;
import org.kdspark.jobs.bench.MethodsBench;
import org.kdspark.jobs.bench.SoftLabelBench;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.config.TrainerKind;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.kd.method.Methods;
import org.kdspark.kd.provenance.Provenance;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** {@code kd bench}: measurements that are not jobs. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks on a run.",
        subcommands = {BenchCommands.MethodsTable.class, BenchCommands.Inference.class, BenchCommands.Distill.class,
            BenchCommands.SoftLabels.class, BenchCommands.Decode.class, BenchCommands.AllReduce.class, BenchCommands.Scale.class,
            CommandLine.HelpCommand.class})
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
            return inScratch(scratch, dir -> {
                Map<String, Object> r = InferenceBench.run(spark, config, layout, dir, seconds);
                writeJson(json, r);
                return InferenceBench.markdown(r) + "-> " + json;
            });
        }
    }

    /** {@code kd bench distill}. */
    @Command(name = "distill", mixinStandardHelpOptions = true,
            description = {"The trainer benchmark: the config's KD student on the run in --output (image table, teacher and store built or "
                    + "reused as the pipeline does) trains for the same epochs on the same data with Spark parameter averaging and with a "
                    + "plain ComputationGraph.fit loop in one JVM; examples/s, their ratio and both test accuracies.",
                "Writes the figures to --json and prints them as a Markdown table."})
    static final class Distill extends SparkCommand {
        @Option(names = "--json", paramLabel = "FILE", required = true, description = "Where to write the figures (JSON).")
        Path json;

        @Option(names = "--epochs", paramLabel = "N", defaultValue = "1", description = "Epochs each way (default: ${DEFAULT-VALUE}).")
        int epochs;

        @Option(names = "--averaging-frequencies", split = ",", paramLabel = "F",
                description = "Spark runs, one per averaging frequency; the first is the headline (default: distill.averaging_frequency).")
        List<Integer> frequencies;

        @Option(names = "--trainers", split = ",", paramLabel = "T",
                description = "Spark trainers to run, each at every averaging frequency: allreduce, barrier, dl4j; the first is the headline "
                        + "(default: distill.trainer).")
        List<TrainerKind> trainers;

        @Option(names = "--seeds", split = ",", paramLabel = "S",
                description = "Every run once per seed (initialisation and data order); accuracies are means over the seeds (default: distill.seed).")
        List<Long> seeds;

        @Option(names = "--local-batch-sizes", split = ",", paramLabel = "B",
                description = "Plain-loop runs, one per minibatch size; the first is the headline (default: the Spark run's global batch, "
                        + "workers x distill.batch_size_per_worker).")
        List<Integer> localBatchSizes;

        @Override
        String job() {
            return "bench-distill";
        }

        @Override
        String run(SparkSession spark, KdConfig config, RunLayout layout) {
            if (epochs < 1) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--epochs must be >= 1, is " + epochs);
            }
            List<Integer> chosen = frequencies != null ? frequencies : List.of(config.distill().averagingFrequency());
            List<TrainerKind> kinds = trainers != null ? trainers : List.of(config.distill().trainer());
            Map<String, Object> r = DistillBench.run(spark, config, layout, new DistillBench.Options(epochs, kinds, chosen,
                    localBatchSizes != null ? localBatchSizes : List.of(), seeds != null ? seeds : List.of()));
            try {
                writeJson(json, r);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return DistillBench.markdown(r) + "-> " + json;
        }
    }

    /** {@code kd bench soft-labels}. */
    @Command(name = "soft-labels", mixinStandardHelpOptions = true,
            description = {"The soft-label job with the DL4J teacher of the run in --output (image table and teacher built or reused as the "
                    + "pipeline does; the run is otherwise only read) against a plain single-JVM DL4J loop over the same decoded images: "
                    + "images/s, ratio, roofline_fraction against an ND4J GEMM measured in the same run, and bytes per row of each encoding.",
                "Writes the figures to --json and prints them as Markdown."})
    static final class SoftLabels extends SparkCommand {
        @Option(names = "--json", paramLabel = "FILE", required = true, description = "Where to write the figures (JSON).")
        Path json;

        @Option(names = "--gemm-seconds", paramLabel = "S", defaultValue = "3", description = "Timing of the GEMM reference (default: ${DEFAULT-VALUE}).")
        double gemmSeconds;

        @Option(names = "--scratch", paramLabel = "DIR",
                description = "Local directory for the job's copy of the run and its outputs (default: a temporary directory, deleted afterwards).")
        Path scratch;

        @Override
        String job() {
            return "bench-soft-labels";
        }

        @Override
        String run(SparkSession spark, KdConfig config, RunLayout layout) {
            return inScratch(scratch, dir -> {
                Map<String, Object> r = SoftLabelBench.run(spark, config, layout, dir, gemmSeconds);
                writeJson(json, r);
                return SoftLabelBench.markdown(r) + "-> " + json;
            });
        }
    }

    private BenchCommands() {
    }

    /** A bench body that works in a local scratch directory. */
    private interface ScratchWork {
        String run(Path dir) throws IOException;
    }

    /** Runs {@code work} in {@code scratch}, or in a temporary directory deleted afterwards when none is given. */
    private static String inScratch(Path scratch, ScratchWork work) {
        Path dir = scratch;
        try {
            if (dir == null) {
                dir = Files.createTempDirectory("kd-bench");
            }
            return work.run(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (scratch == null && dir != null) {
                deleteTree(dir);
            }
        }
    }

    /** {@code kd bench decode}: no Spark, no run. */
    @Command(name = "decode", mixinStandardHelpOptions = true,
            description = {"JPEG decoding into the image table's pixels on one core, against the JDK's ImageIO + getRGB route, in "
                    + "alternating rounds (median and range); and the image table's bytes per image, encoded against decoded, with "
                    + "the decode cost, at 64, 128 and 224 pixels.",
                "Writes the figures to --json and prints them."})
    static final class Decode implements java.util.concurrent.Callable<Integer> {
        @Option(names = "--json", paramLabel = "FILE", required = true, description = "Where to write the figures (JSON).")
        Path json;

        @Option(names = "--size", paramLabel = "PX", defaultValue = "256", description = "Side of the JPEGs (default: ${DEFAULT-VALUE}).")
        int size;

        @Option(names = "--seconds", paramLabel = "S", defaultValue = "1", description = "Timing per figure and round (default: ${DEFAULT-VALUE}).")
        double seconds;

        @Option(names = "--rounds", paramLabel = "N", defaultValue = "7", description = "Alternating rounds (default: ${DEFAULT-VALUE}).")
        int rounds;

        @Override
        public Integer call() throws IOException {
            Map<String, Object> r = org.kdspark.jobs.bench.DecodeBench.run(size, seconds, rounds);
            writeJson(json, r);
            System.out.println(Provenance.json().writerWithDefaultPrettyPrinter().writeValueAsString(r));
            return 0;
        }
    }

    /** {@code kd bench allreduce}: a Spark session of its own, no config, no run. */
    @Command(name = "allreduce", mixinStandardHelpOptions = true,
            description = {"The barrier trainers' all-reduce alone, star against ring: for each number of workers and vector size, one "
                    + "barrier stage of that many tasks on a local[N] session (every byte over loopback) sums the vector in timed "
                    + "rounds; bytes sent and received per worker per step as counted on the sockets, against the analytic model, "
                    + "and the step time (median and range over the rounds). Each task checks every sum against the exact one.",
                "Writes the figures to --json and prints them."})
    static final class AllReduce implements java.util.concurrent.Callable<Integer> {
        @Option(names = "--json", paramLabel = "FILE", required = true, description = "Where to write the figures (JSON).")
        Path json;

        @Option(names = "--workers", split = ",", paramLabel = "N", defaultValue = "2,4,8,16", description = "Workers (default: ${DEFAULT-VALUE}).")
        List<Integer> workers;

        @Option(names = "--params", split = ",", paramLabel = "P", defaultValue = "1000000,25000000",
                description = "Floats summed per step (default: ${DEFAULT-VALUE}).")
        List<Integer> params;

        @Option(names = "--rounds", paramLabel = "R", defaultValue = "5", description = "Timed rounds per case (default: ${DEFAULT-VALUE}).")
        int rounds;

        @Override
        public Integer call() throws IOException {
            if (workers.stream().anyMatch(w -> w < 1) || params.stream().anyMatch(p -> p < 1) || rounds < 1) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--workers, --params and --rounds must be positive");
            }
            int slots = workers.stream().mapToInt(Integer::intValue).max().orElse(1);
            SparkSession spark = org.kdspark.jobs.spark.Sessions.start(new KdConfig.Spark("local[" + slots + "]", "kd",
                    Map.of("spark.ui.enabled", "false")), "bench-allreduce");
            try {
                Map<String, Object> r = org.kdspark.jobs.bench.AllReduceBench.run(spark, workers, params, rounds);
                writeJson(json, r);
                System.out.println(Provenance.json().writerWithDefaultPrettyPrinter().writeValueAsString(r));
            } finally {
                spark.stop();
            }
            return 0;
        }
    }

    /** {@code kd bench scale}: child JVMs of its own, one per case. */
    @Command(name = "scale", mixinStandardHelpOptions = true,
            description = {"How cost grows with the number of images: for each size N a photo-like RGB set of N training and N/10 "
                    + "validation images (WebDataset shards, kept under --work and reused), then ingest, soft labels and one distill "
                    + "epoch on each master, each case in a JVM of its own; per case seconds per 1,000 images of each step, peak RSS of "
                    + "the driver and of every executor, shuffle bytes of the epoch and bytes of the training pixels.",
                "Writes the figures to --json and prints them as a Markdown table."})
    static final class Scale implements java.util.concurrent.Callable<Integer> {
        @Option(names = "--json", paramLabel = "FILE", required = true, description = "Where to write the figures (JSON).")
        Path json;

        @Option(names = "--sizes", split = ",", paramLabel = "N", defaultValue = "50000,200000,1000000",
                description = "Training images per case (default: ${DEFAULT-VALUE}).")
        List<Integer> sizes;

        @Option(names = "--masters", split = ";", paramLabel = "URL", defaultValue = "local[2];local-cluster[2,1,3072]",
                description = "Spark masters, separated by ';', each running every size (default: ${DEFAULT-VALUE}).")
        List<String> masters;

        @Option(names = "--work", paramLabel = "DIR", defaultValue = "out/bench-scale",
                description = "Local directory for the image sets (kept and reused), the teacher, and each case's run (deleted after it) (default: ${DEFAULT-VALUE}).")
        Path work;

        @Option(names = {"-c", "--config"}, paramLabel = "FILE", defaultValue = "conf/fashion-mnist-rgb.yaml",
                description = "The config every case starts from; the bench sets the data set, output, epochs and teacher (default: ${DEFAULT-VALUE}).")
        Path config;

        @Option(names = "--driver-memory", paramLabel = "SIZE", defaultValue = "4g", description = "Heap of each case's driver JVM (default: ${DEFAULT-VALUE}).")
        String driverMemory;

        @Option(names = "--executor-memory", paramLabel = "SIZE", defaultValue = "2g",
                description = "spark.executor.memory of masters with executor JVMs (default: ${DEFAULT-VALUE}).")
        String executorMemory;

        @Option(names = "--image-size", paramLabel = "PX", defaultValue = "32", description = "Side of the generated images (default: ${DEFAULT-VALUE}).")
        int imageSize;

        @Option(names = "--repeats", paramLabel = "R", defaultValue = "1", description = "Rounds of every case, alternating; figures are medians (default: ${DEFAULT-VALUE}).")
        int repeats;

        @Option(names = "--teacher-images", paramLabel = "N", defaultValue = "10000",
                description = "Images the one teacher trains on, one epoch (default: ${DEFAULT-VALUE}).")
        int teacherImages;

        @Option(names = "--fashion-mnist", paramLabel = "DIR", defaultValue = "file:///usr/share/datasets/fashion-mnist",
                description = "The Fashion-MNIST IDX files the sets are made from (default: ${DEFAULT-VALUE}).")
        String fashionMnist;

        @Override
        public Integer call() throws IOException, InterruptedException {
            if (sizes.stream().anyMatch(n -> n < 1) || repeats < 1 || teacherImages < 1) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--sizes, --repeats and --teacher-images must be positive");
            }
            Map<String, Object> r = org.kdspark.jobs.bench.ScaleBench.run(new org.kdspark.jobs.bench.ScaleBench.Options(sizes, masters, work, config,
                    driverMemory, executorMemory, imageSize, repeats, teacherImages, fashionMnist));
            writeJson(json, r);
            System.out.println(org.kdspark.jobs.bench.ScaleBench.markdown(r) + "-> " + json);
            return 0;
        }
    }

    private static void writeJson(Path json, Map<String, Object> figures) throws IOException {
        if (json.toAbsolutePath().getParent() != null) {
            Files.createDirectories(json.toAbsolutePath().getParent());
        }
        Files.writeString(json, Provenance.json().writerWithDefaultPrettyPrinter().writeValueAsString(figures));
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a leftover temporary directory is harmless
        }
    }
}
