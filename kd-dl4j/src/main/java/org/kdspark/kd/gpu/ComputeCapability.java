package org.kdspark.kd.gpu;

import java.util.Locale;
import java.util.Optional;

/**
 * A CUDA compute capability such as 8.6 ({@code sm_86}), as {@code nvidia-smi --query-gpu=compute_cap} prints it.
 *
 * @param major the architecture generation (3 Kepler, 5 Maxwell, 6 Pascal, 7 Volta/Turing, 8 Ampere/Ada, 9 Hopper,
 *              10 and 12 Blackwell)
 * @param minor the revision within it
 */
public record ComputeCapability(int major, int minor) implements Comparable<ComputeCapability> {

    public ComputeCapability {
        if (major < 1 || minor < 0 || minor > 9) {
            throw new IllegalArgumentException("not a compute capability: " + major + "." + minor);
        }
    }

    /**
     * Parses {@code "8.6"} (nvidia-smi), {@code "sm_86"} or {@code "86"}; empty for anything else, such as the
     * {@code [N/A]} or {@code [Not Supported]} an old driver prints.
     */
    public static Optional<ComputeCapability> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        String s = text.trim().toLowerCase(Locale.ROOT);
        if (s.startsWith("sm_")) {
            s = s.substring(3);
        }
        try {
            int dot = s.indexOf('.');
            if (dot > 0) {
                return Optional.of(new ComputeCapability(Integer.parseInt(s.substring(0, dot)), Integer.parseInt(s.substring(dot + 1))));
            }
            if (s.length() >= 2 && s.chars().allMatch(Character::isDigit)) {
                int v = Integer.parseInt(s);
                return Optional.of(new ComputeCapability(v / 10, v % 10));
            }
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** The {@code sm_XY} name of the kernels compiled for it. */
    public String sm() {
        return "sm_" + major + minor;
    }

    @Override
    public int compareTo(ComputeCapability o) {
        return major != o.major ? Integer.compare(major, o.major) : Integer.compare(minor, o.minor);
    }

    @Override
    public String toString() {
        return major + "." + minor;
    }
}
