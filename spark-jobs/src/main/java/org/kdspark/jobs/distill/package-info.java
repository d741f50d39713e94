/** The distill job: a student trained on Spark from the soft-label store, evaluated and saved with provenance. */
package org.kdspark.jobs.distill;
