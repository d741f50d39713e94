/**
 * The evaluate job: the teacher and every student of a run scored on the test split, as report.json, report.md and
 * plots.
 */
package org.kdspark.jobs.evaluate;
