package dev.bd3.worker;

import dev.bd3.jobs.JobRequest;
import dev.bd3.jobs.JobType;

/**
 * The work of one worker kind. A worker application provides exactly one handler bean; the shared
 * {@link JobQueue} feeds it jobs and reports their status.
 */
public interface JobHandler {
  JobType type();

  /**
   * Runs a job to its end. Returning means SUCCEEDED, or CANCELLED where {@link
   * JobContext#cancelled()} was seen; throwing means FAILED with the exception's message.
   */
  void run(JobRequest job, JobContext context) throws Exception;
}
