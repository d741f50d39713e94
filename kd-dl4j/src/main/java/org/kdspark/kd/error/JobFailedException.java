package org.kdspark.kd.error;

/**
 * A job ran into a condition it reports in full in its message (a model that does not export, an export that does
 * not verify, a training run that diverged): the command line prints the message alone and exits with code 1. Any
 * other exception is a bug and is printed with its stack trace.
 */
public class JobFailedException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    public JobFailedException(String message) {
        super(message);
    }

    public JobFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
