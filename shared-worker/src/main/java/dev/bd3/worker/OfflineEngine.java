package dev.bd3.worker;

import java.nio.file.Path;

/**
 * Every worker runs DJL's PyTorch engine offline: libtorch comes from the pytorch-native-cpu jar
 * and is extracted into the cache folder once; nothing is downloaded and nothing phones home.
 * Settings given on the command line or in the environment win. Must run before the engine is first
 * used, so the {@link JobQueue} applies it when it is created.
 */
final class OfflineEngine {
  private OfflineEngine() {}

  static void configure(Path cacheDir) {
    setIfAbsent("ai.djl.offline", "true");
    setIfAbsent("OPT_OUT_TRACKING", "true");
    if (System.getenv("DJL_CACHE_DIR") == null) {
      setIfAbsent("DJL_CACHE_DIR", cacheDir.toAbsolutePath().toString());
    }
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }
}
