/**
 * The benchmarks behind docs/performance.md and docs/benchmarks.md: each compares ways of doing the same work in one
 * run.
 */
package org.kdspark.jobs.bench;
