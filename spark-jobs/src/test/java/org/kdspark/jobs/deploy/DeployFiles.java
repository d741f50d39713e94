package org.kdspark.jobs.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.kdspark.jobs.TestSpark;
import org.kdspark.jobs.cli.KdCli;
import org.kdspark.jobs.config.ConfigLoader;
import picocli.CommandLine;

/** What the deploy tests share: where things are in the repository and in the image, and how kd parses arguments. */
final class DeployFiles {

    static final String MAIN_CLASS = "org.kdspark.jobs.cli.KdCli";
    /** Where the Dockerfiles put the repository's files inside the image. */
    static final String IMAGE_HOME = "/opt/kd/";
    static final String IMAGE_JAR = "local:///opt/kd/lib/kd-cluster.jar";
    static final Set<String> CLUSTER_JOBS = Set.of("soft-labels", "distill", "pipeline", "retrain");

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private DeployFiles() {
    }

    static Path root() {
        return TestSpark.repoRoot();
    }

    static Path deploy() {
        return root().resolve("deploy");
    }

    /** Every document of a (multi-document) YAML file. */
    static List<JsonNode> yamlDocuments(Path file) {
        try (var it = YAML.readValues(YAML.getFactory().createParser(file.toFile()), JsonNode.class)) {
            List<JsonNode> docs = new ArrayList<>();
            while (it.hasNext()) {
                docs.add(it.next());
            }
            return docs;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse " + file, e);
        }
    }

    /** The repository file that an image path (/opt/kd/..., or local:///opt/kd/...) comes from. */
    static Path repoFileOfImagePath(String imagePath) {
        String p = imagePath.startsWith("local://") ? imagePath.substring("local://".length()) : imagePath;
        if (!p.startsWith(IMAGE_HOME)) {
            throw new AssertionError(imagePath + " is not under " + IMAGE_HOME + " (the image's copy of the repository)");
        }
        return root().resolve(p.substring(IMAGE_HOME.length()));
    }

    /** The JVM flags the build wrote from the POM property kd.jvm.flags. */
    static List<String> jvmFlags() throws IOException {
        Path file = root().resolve("spark-jobs/target/launcher/jvm.args");
        return List.of(Files.readString(file).trim().split("\\s+"));
    }

    /** kd's own arguments, parsed by kd's picocli model: a usage error fails the test with picocli's message. */
    static CommandLine.ParseResult parseKd(List<String> args) {
        try {
            CommandLine.ParseResult top = new CommandLine(new KdCli()).parseArgs(args.toArray(String[]::new));
            if (!top.hasSubcommand()) {
                throw new AssertionError("no kd subcommand in " + args);
            }
            return top.subcommand();
        } catch (CommandLine.ParameterException e) {
            throw new AssertionError("kd rejects " + args + ": " + e.getMessage(), e);
        }
    }

    /**
     * Checks kd arguments as a cluster would run them: a real subcommand, a config that exists in the repository
     * (mapped from the image path when {@code configInImage}), and every --set/--output accepted by the config loader.
     */
    static String checkKdArguments(List<String> args, boolean configInImage) {
        CommandLine.ParseResult job = parseKd(args);
        String name = job.commandSpec().name();
        String config = job.matchedOptionValue("--config", null) == null ? null : job.matchedOptionValue("--config", null).toString();
        if (config == null) {
            throw new AssertionError("no --config in " + args);
        }
        Path file = configInImage ? repoFileOfImagePath(config) : Path.of(config);
        if (!Files.isRegularFile(file)) {
            throw new AssertionError("config " + config + " does not exist (looked for " + file + ")");
        }
        List<String> overrides = new ArrayList<>(job.matchedOptionValue("--set", List.<String>of()));
        String output = job.matchedOptionValue("--output", null);
        if (output != null) {
            overrides.add("output=" + output);
        }
        ConfigLoader.load(file, overrides); // throws ConfigException naming a bad key or value
        return name;
    }

    /** Shell scripts under deploy/ and bin/: *.sh files and files starting with a shell shebang. */
    static List<Path> shellScripts() throws IOException {
        List<Path> scripts = new ArrayList<>();
        for (Path dir : List.of(deploy(), root().resolve("bin"))) {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                    if (f.toString().endsWith(".sh") || firstLine(f).matches("#!.*\\b(bash|sh)\\b.*")) {
                        scripts.add(f);
                    }
                }
            }
        }
        return scripts;
    }

    private static String firstLine(Path f) throws IOException {
        try (var lines = Files.lines(f)) {
            return lines.findFirst().orElse("");
        } catch (UncheckedIOException e) {
            return ""; // not text
        }
    }

    static Map<String, JsonNode> byKind(List<JsonNode> docs) {
        Map<String, JsonNode> m = new java.util.LinkedHashMap<>();
        docs.forEach(d -> m.put(d.path("kind").asText(), d));
        return m;
    }
}
