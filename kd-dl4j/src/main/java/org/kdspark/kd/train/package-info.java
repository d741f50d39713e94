/**
 * Training and evaluation of zoo models inside one JVM: {@link org.kdspark.kd.train.LocalTrainer} (seeded
 * shuffling, minibatches from {@link org.kdspark.kd.data.LabeledImages}, pluggable label arrays so the same loop
 * trains a teacher on one-hot labels or a student on {@code [one-hot | teacher logits]}), and the inference
 * helpers that read the {@code logits} vertex.
 */
package org.kdspark.kd.train;
