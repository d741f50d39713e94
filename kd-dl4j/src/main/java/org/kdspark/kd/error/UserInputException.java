package org.kdspark.kd.error;

/**
 * Something the user gave cannot be used: a config key, a file, a model, a device. The message names the key or file
 * and says what to change; the command line prints it alone (no stack trace) and exits with code 2.
 */
public class UserInputException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    public UserInputException(String message) {
        super(message);
    }

    public UserInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
