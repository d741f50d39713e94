package org.kdspark.kd.gpu;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Lists the GPUs of this host with {@code nvidia-smi --query-gpu=index,name,compute_cap --format=csv,noheader}, the
 * same tool Spark's GPU discovery script ({@code deploy/gpu/getGpusResources.sh}) uses, so the indices match the
 * addresses Spark assigns. Reading it needs no CUDA library in this JVM: the check runs before ND4J loads its
 * backend, which on an unsupported GPU would fail later and less clearly.
 */
public final class NvidiaSmi {

    /** The arguments of the query; {@code compute_cap} needs driver R510 or newer. */
    public static final List<String> ARGUMENTS = List.of("--query-gpu=index,name,compute_cap", "--format=csv,noheader");

    private static final long TIMEOUT_SECONDS = 30;

    /** What the query found: the GPUs, or why it could not run (then {@code gpus} is empty). */
    public record GpuList(List<GpuDevice> gpus, String error) {

        public GpuList {
            gpus = List.copyOf(gpus);
        }

        public boolean ok() {
            return error == null;
        }
    }

    private NvidiaSmi() {
    }

    /** Runs {@code executable} (normally just {@code nvidia-smi}, found on the PATH) and parses its answer. */
    public static GpuList query(String executable) {
        List<String> command = new ArrayList<>();
        command.add(executable);
        command.addAll(ARGUMENTS);
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            return new GpuList(List.of(), executable + " could not be run (" + e.getMessage() + ")");
        }
        try (InputStream out = p.getInputStream()) {
            // the answer is a few lines, far below a pipe's buffer: wait first, so a hung driver cannot block the read
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new GpuList(List.of(), executable + " did not answer within " + TIMEOUT_SECONDS + " s");
            }
            String text = new String(out.readAllBytes(), StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                return new GpuList(List.of(), executable + " failed with exit code " + p.exitValue() + ": " + text.trim());
            }
            return parse(text);
        } catch (IOException e) {
            return new GpuList(List.of(), "cannot read the output of " + executable + " (" + e.getMessage() + ")");
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return new GpuList(List.of(), "interrupted while waiting for " + executable);
        }
    }

    /**
     * Parses the CSV lines {@code index, name, compute_cap}. The index is the first field and the capability the
     * last, so a product name with a comma in it still parses; a line of another shape makes the whole answer an
     * error that quotes it.
     */
    public static GpuList parse(String csv) {
        List<GpuDevice> gpus = new ArrayList<>();
        for (String line : csv.split("\\R")) {
            if (line.isBlank()) {
                continue;
            }
            int first = line.indexOf(',');
            int last = line.lastIndexOf(',');
            String index = first < 0 ? "" : line.substring(0, first).trim();
            if (first < 0 || first == last || index.isEmpty() || !index.chars().allMatch(Character::isDigit)) {
                return new GpuList(List.of(), "unexpected nvidia-smi output line '" + line.trim() + "' (expected 'index, name, compute_cap')");
            }
            gpus.add(new GpuDevice(index, line.substring(first + 1, last).trim(), line.substring(last + 1).trim()));
        }
        return new GpuList(gpus, null);
    }
}
