package dev.bd3.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Artifacts (checkpoints, uploaded datasets) in a bucket of S3-compatible object storage, so that
 * workers need no shared disk. Every object carries the sha256 of its bytes in its metadata; a
 * download is streamed to a temporary file beside its target, checked against that sha256 and only
 * then renamed into place, so a reader sees a whole, verified file or none. An upload is one PUT,
 * which S3 makes visible whole or not at all. Objects are named by keys that are paths relative to
 * the local artifact folder ({@code runs/<id>/checkpoints/...}, {@code datasets/<sha256>.txt}), and
 * by {@code s3://bucket/key} URIs in run records.
 */
public final class ObjectStore implements AutoCloseable {
  /** The user metadata entry with the object's sha256 (hex). */
  public static final String SHA256 = "sha256";

  private final S3Client s3;
  private final String bucket;

  /**
   * A client of {@code bucket}. The credentials come from the AWS SDK's default chain
   * (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, a Kubernetes service account...).
   *
   * @param endpoint an S3-compatible server's URL (empty: AWS's own); path-style addressing then
   * @param region the bucket's region (any for most S3-compatible servers)
   */
  public ObjectStore(String bucket, Optional<URI> endpoint, String region) {
    this.bucket = bucket;
    var builder =
        S3Client.builder()
            .httpClient(UrlConnectionHttpClient.create())
            .region(Region.of(region))
            // checksums of our own (sha256 in the metadata); S3-compatible servers differ on AWS's
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
    endpoint.ifPresent(uri -> builder.endpointOverride(uri).forcePathStyle(true));
    this.s3 = builder.build();
  }

  public String bucket() {
    return bucket;
  }

  /**
   * Creates the bucket where it does not exist yet (a local or test server; AWS: made by you). The
   * services of a suite start together and may all find it missing: only one creates it.
   */
  public void ensureBucket() {
    try {
      s3.headBucket(b -> b.bucket(bucket));
    } catch (S3Exception e) {
      if (e.statusCode() != 404) { // a HEAD's 404 has no body, so no NoSuchBucket code either
        throw e;
      }
      try {
        s3.createBucket(b -> b.bucket(bucket));
      } catch (BucketAlreadyOwnedByYouException raced) {
        // another service of the suite, starting at the same time, made it first
      }
    }
  }

  /** {@code s3://bucket/key}. */
  public String uri(String key) {
    return "s3://" + bucket + "/" + key;
  }

  /** The key an {@code s3://} URI of this bucket names, if it is one. */
  public Optional<String> key(String uri) {
    String prefix = "s3://" + bucket + "/";
    return uri != null && uri.startsWith(prefix) && uri.length() > prefix.length()
        ? Optional.of(uri.substring(prefix.length()))
        : Optional.empty();
  }

  /** Uploads {@code file} as {@code key}, its sha256 (hex) in the object's metadata. */
  public void put(String key, Path file, String sha256) {
    s3.putObject(
        b -> b.bucket(bucket).key(key).metadata(Map.of(SHA256, sha256)),
        RequestBody.fromFile(file));
  }

  /** Whether an object {@code key} exists. */
  public boolean exists(String key) {
    try {
      s3.headObject(b -> b.bucket(bucket).key(key));
      return true;
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return false;
      }
      throw e;
    }
  }

  /**
   * Downloads {@code key} to {@code target}, verified against the sha256 in its metadata; returns
   * that sha256. Refused (and nothing written) when the object is missing, has no sha256 or its
   * bytes do not match it.
   */
  public String get(String key, Path target) {
    return download(key, target, true);
  }

  /**
   * Downloads {@code key} to {@code target} as {@link #get} does, but an object without a sha256 in
   * its metadata (one put there by another tool) is taken as it is; returns the sha256 of its
   * bytes.
   */
  public String copy(String key, Path target) {
    return download(key, target, false);
  }

  private String download(String key, Path target, boolean recordRequired) {
    Path partial = target.resolveSibling("." + target.getFileName() + ".download");
    try {
      Files.createDirectories(target.getParent());
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      String expected;
      try (ResponseInputStream<GetObjectResponse> in =
              s3.getObject(b -> b.bucket(bucket).key(key));
          InputStream hashed = new DigestInputStream(in, digest);
          OutputStream out = Files.newOutputStream(partial)) {
        expected = in.response().metadata().get(SHA256);
        hashed.transferTo(out);
      }
      String actual = HexFormat.of().formatHex(digest.digest());
      if ((recordRequired || expected != null) && !actual.equals(expected)) {
        throw new CorruptObjectException(
            uri(key) + ": its bytes have sha256 " + actual + ", its record says " + expected);
      }
      Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
      return actual;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    } finally {
      try {
        Files.deleteIfExists(partial);
      } catch (IOException e) {
        // nothing more to do: the next download replaces it
      }
    }
  }

  /** The keys under {@code prefix}, in key order. */
  public List<String> keys(String prefix) {
    return s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents().stream()
        .map(S3Object::key)
        .sorted()
        .toList();
  }

  /** Deletes {@code key} (nothing when it does not exist). */
  public void delete(String key) {
    s3.deleteObject(b -> b.bucket(bucket).key(key));
  }

  @Override
  public void close() {
    s3.close();
  }

  /** An object whose bytes are not those its sha256 says. */
  public static final class CorruptObjectException extends RuntimeException {
    CorruptObjectException(String message) {
      super(message);
    }
  }
}
