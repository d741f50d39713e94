/** The soft-label job: batched teacher inference on executors into the Parquet soft-label store. */
package org.kdspark.jobs.softlabels;
