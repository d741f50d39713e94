/** The pipeline job: every step of a run in one Spark application, from ingest to the report and the notebook export. */
package org.kdspark.jobs.pipeline;
