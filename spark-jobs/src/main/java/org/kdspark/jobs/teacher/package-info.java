/**
 * Teachers on Spark: where a teacher comes from ({@link org.kdspark.jobs.teacher.TeacherSource}), its checks against
 * the image table, its backends (DL4J, ONNX Runtime, ensembles) and their per-executor caches, and the {@link
 * org.kdspark.jobs.teacher.TeacherLabeler} that labels a DataFrame with one.
 */
package org.kdspark.jobs.teacher;
