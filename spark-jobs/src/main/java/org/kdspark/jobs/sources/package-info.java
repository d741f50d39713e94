/** The image sources the ingest job reads: one {@link org.kdspark.jobs.sources.ImageSource} per dataset format. */
package org.kdspark.jobs.sources;
