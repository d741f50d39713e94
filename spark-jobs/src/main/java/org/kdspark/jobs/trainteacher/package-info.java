/**
 * The train-teacher job: the run's teacher (and further ensemble teachers) trained in the driver JVM, reused while
 * unchanged.
 */
package org.kdspark.jobs.trainteacher;
