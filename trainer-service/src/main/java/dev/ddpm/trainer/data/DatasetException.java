package dev.ddpm.trainer.data;

/** A data set cannot be used for training; the message names the file and what is wrong. */
public class DatasetException extends RuntimeException {

    public DatasetException(String message) {
        super(message);
    }

    public DatasetException(String message, Throwable cause) {
        super(message, cause);
    }
}
