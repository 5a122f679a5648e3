package dev.bd3.e2e;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Gives test classes one {@link Suite} for the whole test run (a start costs about a minute): its
 * topics created first, then its services; stopped when JUnit closes its root context, after the
 * last test class, before the JVM exits. Use: {@code @ExtendWith(SharedSuite.class)} and a {@code
 * Suite} parameter on a {@code @BeforeAll} method. A test that fails prints the last lines of every
 * service's log, so that a failure on a machine no one can log in to (CI) says why.
 */
final class SharedSuite implements ParameterResolver, TestWatcher {
  private static final int LOG_LINES = 40;
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(SharedSuite.class);

  /** The started suite, stopped when the store that holds it closes. */
  private record Started(Suite suite) implements ExtensionContext.Store.CloseableResource {
    static Started start() {
      Suite suite = new Suite();
      try {
        suite.startAll(); // topics first, then the services
      } catch (RuntimeException e) {
        suite.stop(); // what did start must not outlive the test run
        throw e;
      }
      return new Started(suite);
    }

    @Override
    public void close() {
      suite.stop();
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == Suite.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return context
        .getRoot()
        .getStore(NAMESPACE)
        .getOrComputeIfAbsent(Started.class, k -> Started.start(), Started.class)
        .suite();
  }

  @Override
  public void testFailed(ExtensionContext context, Throwable cause) {
    Started started = context.getRoot().getStore(NAMESPACE).get(Started.class, Started.class);
    if (started != null) {
      System.out.println(started.suite().logTails(LOG_LINES));
    }
  }
}
