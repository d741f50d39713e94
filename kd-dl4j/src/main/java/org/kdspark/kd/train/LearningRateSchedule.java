package org.kdspark.kd.train;

import java.util.Locale;

/**
 * The learning rate per epoch (1-based), a function of the epoch alone so that a resumed run uses the rates of an
 * uninterrupted one:
 * <ul>
 *   <li>{@code constant}: {@code lr};</li>
 *   <li>{@code cosine}: {@code min + (lr - min) * (1 + cos(pi * (e - 1) / (E - 1))) / 2}, from {@code lr} at the first
 *       epoch to {@code min} at the last (Loshchilov and Hutter 2017, SGDR, without restarts);</li>
 *   <li>{@code step}: {@code lr * gamma^floor((e - 1) / step)}.</li>
 * </ul>
 */
public record LearningRateSchedule(Kind kind, double lr, double min, int epochs, int step, double gamma) {

    /** The schedules, spelled in config as their lower-case names. */
    public enum Kind {
        CONSTANT, COSINE, STEP;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public LearningRateSchedule {
        if (kind == null) {
            throw new IllegalArgumentException("a learning-rate schedule needs a kind: one of constant, cosine, step");
        }
    }

    /** A constant rate. */
    public static LearningRateSchedule constant(double lr) {
        return new LearningRateSchedule(Kind.CONSTANT, lr, lr, 1, 1, 1);
    }

    /** The rate of epoch {@code epoch} (1-based). */
    public double rate(int epoch) {
        return switch (kind) {
            case CONSTANT -> lr;
            case COSINE -> epochs <= 1 ? lr : min + (lr - min) * (1 + Math.cos(Math.PI * (epoch - 1) / (epochs - 1))) / 2;
            case STEP -> lr * Math.pow(gamma, (epoch - 1) / step);
        };
    }
}
