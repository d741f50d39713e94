package org.kdspark.kd.train;

/**
 * One trained epoch's figures.
 *
 * @param validationAccuracy null without a validation split
 */
public record EpochResult(int epoch, double loss, double testAccuracy, Double validationAccuracy, double learningRate,
        double examplesPerSecond, double seconds) {
}
