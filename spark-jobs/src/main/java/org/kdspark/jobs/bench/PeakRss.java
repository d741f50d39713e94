package org.kdspark.jobs.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A process's peak resident set size, as Linux keeps it ({@code VmHWM} of {@code /proc/self/status}). */
public final class PeakRss {

    private PeakRss() {
    }

    /** This process's peak RSS in bytes since it started; -1 where {@code /proc} does not say. */
    public static long ofThisProcess() {
        return parse(read(Path.of("/proc/self/status")));
    }

    /** The {@code VmHWM} line of a {@code /proc/PID/status} text in bytes; -1 when there is none. */
    static long parse(String status) {
        for (String line : status.split("\n")) {
            if (line.startsWith("VmHWM:")) {
                String[] parts = line.substring("VmHWM:".length()).trim().split("\\s+");
                if (parts.length == 2 && parts[1].equals("kB")) {
                    return Long.parseLong(parts[0]) * 1024;
                }
            }
        }
        return -1;
    }

    /**
     * What this JVM holds now, for reading a peak: the heap committed and its maximum, and the off-heap bytes that
     * ND4J allocated through JavaCPP.
     */
    public static java.util.Map<String, Long> breakdown() {
        Runtime rt = Runtime.getRuntime();
        java.util.Map<String, Long> m = new java.util.LinkedHashMap<>();
        m.put("heap_committed_bytes", rt.totalMemory());
        m.put("heap_max_bytes", rt.maxMemory());
        m.put("javacpp_bytes", org.bytedeco.javacpp.Pointer.totalBytes());
        m.put("rss_bytes", org.bytedeco.javacpp.Pointer.physicalBytes());
        return m;
    }

    /** The heap still in use after a full collection: what this JVM retains, whatever its collector's sizing did. */
    public static long liveHeapAfterGc() {
        System.gc();
        return java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static String read(Path status) {
        try {
            return Files.readString(status);
        } catch (IOException e) {
            return "";
        }
    }
}
