package org.kdspark.jobs.distill;

import org.kdspark.jobs.config.KdConfig;

/**
 * The student's learning rate per epoch (1-based), a function of the epoch alone so that a resumed run uses the
 * rates of an uninterrupted one:
 * <ul>
 *   <li>{@code constant}: {@code lr};</li>
 *   <li>{@code cosine}: {@code min + (lr - min) * (1 + cos(pi * (e - 1) / (E - 1))) / 2}, from {@code lr} at the first
 *       epoch to {@code min} at the last (Loshchilov and Hutter 2017, SGDR, without restarts);</li>
 *   <li>{@code step}: {@code lr * gamma^floor((e - 1) / step)}.</li>
 * </ul>
 */
public record LearningRateSchedule(String kind, double lr, double min, int epochs, int step, double gamma) {

    public static LearningRateSchedule of(KdConfig.Distill d) {
        return new LearningRateSchedule(d.lrSchedule, d.learningRate, d.minLearningRate, d.epochs, d.lrStepEpochs, d.lrGamma);
    }

    /** The rate of epoch {@code epoch} (1-based). */
    public double rate(int epoch) {
        return switch (kind) {
            case "constant" -> lr;
            case "cosine" -> epochs <= 1 ? lr : min + (lr - min) * (1 + Math.cos(Math.PI * (epoch - 1) / (epochs - 1))) / 2;
            case "step" -> lr * Math.pow(gamma, (epoch - 1) / step);
            default -> throw new IllegalArgumentException("distill.lr_schedule: unknown schedule '" + kind + "'; use one of "
                    + KdConfig.LR_SCHEDULES);
        };
    }
}
