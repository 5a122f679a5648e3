package dev.bd3.worker;

/** A job that cannot succeed, whatever the retries: bad checkpoint, impossible spec. */
public class JobFailure extends RuntimeException {
  public JobFailure(String message) {
    super(message);
  }

  public JobFailure(String message, Throwable cause) {
    super(message, cause);
  }
}
