package org.kdspark.jobs.sources;

import org.kdspark.kd.error.UserInputException;

/** The image set is not where the config says, or holds no image; the message says where to look and what to set. */
public final class DatasetMissingException extends UserInputException {

    private static final long serialVersionUID = 1L;

    public DatasetMissingException(String message) {
        super(message);
    }
}
