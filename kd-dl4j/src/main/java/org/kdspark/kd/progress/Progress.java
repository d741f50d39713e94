package org.kdspark.kd.progress;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress lines for the person running a job, {@code JOB: message} on standard output, one place for all of them so
 * that their form is the same everywhere and a caller can send them elsewhere ({@link #redirect}). Diagnostics
 * (warnings, details for the log) go through SLF4J instead.
 */
public final class Progress {

    private static volatile PrintStream out = System.out;

    private final String job;

    private Progress(String job) {
        this.job = job;
    }

    /** The reporter of the job called {@code job} (the command's name: {@code soft-labels}, {@code distill student}). */
    public static Progress of(String job) {
        return new Progress(job);
    }

    /** Prints {@code JOB: } and the formatted message (formatted with the root locale). */
    public void line(String format, Object... args) {
        out.println(job + ": " + String.format(Locale.ROOT, format, args));
    }

    /** Prints a line as it is, without the job's name (a step header, a table). */
    public static void plain(String format, Object... args) {
        out.println(String.format(Locale.ROOT, format, args));
    }

    /** Sends every later progress line to {@code stream}; returns the previous stream. */
    public static PrintStream redirect(PrintStream stream) {
        PrintStream previous = out;
        out = stream;
        return previous;
    }
}
