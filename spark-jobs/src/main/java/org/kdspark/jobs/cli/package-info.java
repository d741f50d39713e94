/** The {@code kd} command line: picocli commands that parse options, call a job and print its result. */
package org.kdspark.jobs.cli;
