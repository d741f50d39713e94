/**
 * The Parquet datasets of the system: their schemas (one place each), provenance in footers and sidecars,
 * and the readers that refuse what they do not understand.
 */
package org.kdspark.jobs.store;
