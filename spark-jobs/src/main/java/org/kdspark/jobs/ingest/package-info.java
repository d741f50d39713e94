/** The ingest job: raw image sets (IDX files, image folders) into the Parquet image table. */
package org.kdspark.jobs.ingest;
