package dev.bd3.jobs;

/** What a job asks for; one record per {@link JobType}. Nulls mean "use the default". */
public sealed interface JobSpec permits TrainSpec, EvalSpec, SampleSpec {}
