package dev.ddpm.core.messaging;

/** Publishing or consuming an event failed; the message names the event and topic. */
public class MessagingException extends RuntimeException {

    public MessagingException(String message, Throwable cause) {
        super(message, cause);
    }
}
