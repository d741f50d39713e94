/**
 * Exports of a run for readers without Spark or a Parquet reader: {@link org.kdspark.jobs.export.NotebookExport}
 * writes CSV soft labels and raw-pixel thumbnails for the notebooks in {@code notebooks/}.
 */
package org.kdspark.jobs.export;
