/** The ingest job: a raw image set, read by its {@link org.kdspark.jobs.sources.ImageSource}, into the Parquet image table and its rejects. */
package org.kdspark.jobs.ingest;
