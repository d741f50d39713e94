/** Spark plumbing shared by the jobs: the session factory, Hadoop file access and the GPU check of the executors. */
package org.kdspark.jobs.spark;
