/** Spark plumbing shared by the jobs: the session factory and Hadoop file access. */
package org.kdspark.jobs.spark;
