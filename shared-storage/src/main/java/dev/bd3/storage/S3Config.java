package dev.bd3.storage;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.net.URI;
import java.util.Optional;

/**
 * The artifact store's object storage ({@code bd3.s3.*}, or {@code BD3_S3_*}), the same for the
 * gateway and every worker. Without a bucket the artifact store is the folder alone (a shared disk
 * or volume); with one, every checkpoint and dataset also goes to the bucket, from where any worker
 * fetches it into its own folder. Credentials: the AWS SDK's default chain.
 */
@ConfigMapping(prefix = "bd3.s3")
public interface S3Config {
  /** The bucket ({@code BD3_S3_BUCKET}); none: no object storage. */
  Optional<String> bucket();

  /** An S3-compatible server's URL ({@code BD3_S3_ENDPOINT}); none: AWS S3. */
  Optional<URI> endpoint();

  /** The bucket's region ({@code BD3_S3_REGION}). */
  @WithDefault("us-east-1")
  String region();
}
