package org.kdspark.jobs;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a main class of the test classpath in a JVM of its own, with this JVM's flags (add-opens etc.). */
public final class ChildJvm {

    private ChildJvm() {
    }

    /** Starts {@code main} with {@code args}; stdout and stderr go to {@code log}. */
    public static Process start(Class<?> main, List<String> args, Path log) throws IOException {
        return start(main, args, log, java.util.Map.of());
    }

    /** As {@link #start(Class, List, Path)}, with extra environment variables. */
    public static Process start(Class<?> main, List<String> args, Path log, java.util.Map<String, String> env) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmFlags());
        command.add("-Xmx2g");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(main.getName());
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().putAll(env);
        return pb.start();
    }

    /** This JVM's flags that executors need too (module opens, system properties), without heap size or agents. */
    public static List<String> jvmFlags() {
        return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(f -> !f.startsWith("-Xmx") && !f.startsWith("-agentlib") && !f.startsWith("-javaagent"))
                .toList();
    }

    /** Waits for {@code process} to end and returns its exit code; fails after {@code seconds}. */
    public static int await(Process process, long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("child JVM still running after " + seconds + " s");
        }
        return process.exitValue();
    }
}
