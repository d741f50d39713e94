/**
 * Scheduled retraining: label new images, distill a candidate, promote it in the model registry only when it is
 * better.
 */
package org.kdspark.jobs.retrain;
