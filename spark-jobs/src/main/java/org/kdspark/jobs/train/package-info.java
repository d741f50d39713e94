/**
 * Training a student over Spark: the barrier and parameter-averaging trainers, the all-reduce, the epoch order of the
 * minibatches, the training data read from the store, and checkpoints.
 */
package org.kdspark.jobs.train;
