/**
 * The two kinds of expected failure: {@link org.kdspark.kd.error.UserInputException} (the user's input cannot be used;
 * exit code 2) and {@link org.kdspark.kd.error.JobFailedException} (the job stopped for a reason its message states;
 * exit code 1). Anything else is a bug.
 */
package org.kdspark.kd.error;
