/** The soft-label job: the teacher run over the image table on the executors, into the Parquet soft-label store. */
package org.kdspark.jobs.softlabels;
