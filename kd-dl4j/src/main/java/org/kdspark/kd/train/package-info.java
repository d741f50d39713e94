/**
 * Training and evaluation of zoo models inside one JVM: {@link org.kdspark.kd.train.LocalTrainer} (seeded
 * shuffling, minibatches from {@link org.kdspark.kd.data.LabeledImages}, pluggable label arrays so the same loop
 * trains a teacher on one-hot labels or a student on {@code [one-hot | teacher logits]}), the inference
 * helpers that read the {@code logits} vertex, {@link org.kdspark.kd.train.SyncBatchNorm}, batch norm whose
 * statistics the workers of a synchronous data-parallel step share (the transport is the caller's), and
 * {@link org.kdspark.kd.train.PreciseBatchNorm}, batch-norm running statistics recomputed from a trained network.
 */
package org.kdspark.kd.train;
