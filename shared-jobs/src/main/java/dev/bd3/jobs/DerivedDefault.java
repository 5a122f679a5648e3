package dev.bd3.jobs;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Says how a spec field's default is derived when it is no fixed value ("min(50, steps / 10)", "the
 * preset's"). Documentation for {@link SpecCatalog}; the spec's {@code resolved} method computes
 * it.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({
  ElementType.RECORD_COMPONENT,
  ElementType.FIELD,
  ElementType.METHOD,
  ElementType.PARAMETER
})
public @interface DerivedDefault {
  String value();
}
