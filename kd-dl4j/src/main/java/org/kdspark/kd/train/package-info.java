/**
 * Training students and teachers without Spark: {@link org.kdspark.kd.train.StudentTrainer}, the epoch loop around any
 * trainer (learning-rate schedules, the {@link org.kdspark.kd.train.LossGuard}, precise batch-norm statistics,
 * evaluation, early stopping, listeners); {@link org.kdspark.kd.train.LocalTrainer}, the single-JVM loop (seeded
 * shuffling, label arrays for one-hot labels or {@code [one-hot | teacher logits]}); {@link
 * org.kdspark.kd.train.SyncBatchNorm}, batch norm whose statistics the workers of a synchronous data-parallel step
 * share (the transport is the caller's); and {@link org.kdspark.kd.train.PreciseBatchNorm}, batch-norm running
 * statistics recomputed from a trained network.
 */
package org.kdspark.kd.train;
