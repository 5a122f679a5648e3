package dev.bd3.trainer;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.bd3.jobs.JobRequest;
import dev.bd3.jobs.JobType;
import dev.bd3.jobs.TrainSpec;
import dev.bd3.model.data.Corpus;
import dev.bd3.model.nn.ModelConfig;
import dev.bd3.model.train.Checkpoint;
import dev.bd3.model.train.CheckpointRetention;
import dev.bd3.model.train.TrainingConfig;
import dev.bd3.model.train.TrainingListener;
import dev.bd3.model.train.TrainingLoop;
import dev.bd3.worker.ArtifactStore;
import dev.bd3.worker.JobContext;
import dev.bd3.worker.JobHandler;
import dev.bd3.worker.WorkerConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Trains a BD3-LM. Checkpoints go to {@code runs/<run id>/checkpoints} in the artifact store (and
 * to its bucket, when it has one); a job delivered again (its worker died) resumes from the newest
 * one there, fetched first when this worker has not seen them.
 */
@ApplicationScoped
public class TrainHandler implements JobHandler {
  private static final Logger LOG = Logger.getLogger(TrainHandler.class);

  @Inject WorkerConfig config;

  @Override
  public JobType type() {
    return JobType.TRAIN;
  }

  @Override
  public void run(JobRequest job, JobContext context) {
    TrainSpec spec = ((TrainSpec) job.spec()).resolved();
    ModelConfig model = TrainSettings.model(spec);
    TrainingConfig training = TrainSettings.training(spec);
    Corpus corpus = Corpus.open(spec.corpus(), spec.corpusSha256(), context::dataset);
    ArtifactStore.verify("corpus " + spec.corpus(), corpus.sha256(), spec.corpusSha256());
    corpus.tokens(model.tokenizer(), context.artifacts().tokens()); // kept for the loop, and others
    LOG.infof(
        "run %s: %s, %d parameters, %s", job.runId(), model, model.parameterCount(), training);
    Path checkpoints = context.runDir().resolve("checkpoints");
    context.artifacts().fetchAll(checkpoints); // an earlier attempt's, on another worker
    CheckpointRetention retention = new CheckpointRetention(config.keepCheckpoints());
    TrainingLoop loop =
        new TrainingLoop(
            model, training, corpus, checkpoints, reporter(context, retention, checkpoints));
    if (spec.initFrom() != null) {
      loop.initialisedFrom(context.artifact(spec.initFrom()));
    }
    try (NDManager manager = Engine.getInstance().newBaseManager()) {
      TrainingLoop.Result result = loop.run(manager);
      LOG.infof(
          "run %s: stopped at step %d (cancelled: %s, resumed: %s)",
          job.runId(), result.step(), result.cancelled(), result.resumed());
    }
  }

  private static TrainingListener reporter(
      JobContext context, CheckpointRetention retention, Path checkpoints) {
    return new TrainingListener() {
      @Override
      public void onProgress(long step, long total, double secondsPerStep) {
        context.progress(step, total, (total - step) * secondsPerStep);
      }

      @Override
      public void onMetric(String name, long step, double value) {
        context.metric(name, step, value);
      }

      @Override
      public void beforeCheckpoint(long step) {
        context.confirmHold(); // another holder of the job may write the same file
      }

      @Override
      public void onCheckpoint(Checkpoint.Written written, Map<String, Double> metrics) {
        ArtifactStore store = context.artifacts();
        String uri = store.publish(written.path(), written.sha256());
        context.checkpoint(written.step(), uri, written.sha256(), written.bytes(), metrics);
        for (long removed : retention.prune(checkpoints)) {
          store.unpublish(Checkpoint.fileFor(checkpoints, removed));
          context.checkpointRemoved(removed);
        }
      }

      @Override
      public boolean cancelled() {
        return context.cancelled();
      }
    };
  }
}
