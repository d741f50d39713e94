/** Where the artifacts of a run live under its output directory. */
package org.kdspark.jobs.layout;
