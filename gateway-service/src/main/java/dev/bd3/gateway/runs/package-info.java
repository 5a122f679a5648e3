/**
 * Runs: a job submitted, its record and history (checkpoints, metrics, samples, eval results), the
 * REST resources that submit, list, read and cancel them, quotas and the job catalog.
 */
package dev.bd3.gateway.runs;
