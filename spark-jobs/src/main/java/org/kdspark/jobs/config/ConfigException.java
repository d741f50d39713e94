package org.kdspark.jobs.config;

/** A configuration that cannot be used; the message names the file, the key and what is allowed. */
public final class ConfigException extends org.kdspark.kd.error.UserInputException {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
