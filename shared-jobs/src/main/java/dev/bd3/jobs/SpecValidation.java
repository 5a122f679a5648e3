package dev.bd3.jobs;

import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validation;
import jakarta.validation.Validator;
import jakarta.validation.ValidatorFactory;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.hibernate.validator.HibernateValidator;
import org.hibernate.validator.messageinterpolation.ParameterMessageInterpolator;

/**
 * Every rule a job spec must meet to run, in one place: the gateway rejects a submission that
 * breaks one (400 naming the field) and a worker refuses a job that breaks one, so that what the
 * gateway accepts, the workers can run. The rules are the fields' constraint annotations and each
 * spec's {@link JobSpec#crossFieldViolations()}.
 */
public final class SpecValidation {
  // messages without expression language: "must be less than or equal to 64"
  private static final ValidatorFactory FACTORY =
      Validation.byProvider(HibernateValidator.class)
          .configure()
          .messageInterpolator(new ParameterMessageInterpolator())
          .buildValidatorFactory();
  private static final Validator VALIDATOR = FACTORY.getValidator();

  private SpecValidation() {}

  /**
   * The rules {@code spec} breaks, sorted by field; empty when it can run. Rules across fields are
   * checked once every field is valid on its own (they read the fields' values).
   */
  public static List<SpecViolation> violations(JobSpec spec) {
    Set<ConstraintViolation<JobSpec>> fieldViolations = VALIDATOR.validate(spec);
    List<SpecViolation> violations =
        fieldViolations.isEmpty()
            ? spec.crossFieldViolations()
            : fieldViolations.stream()
                .map(v -> new SpecViolation(v.getPropertyPath().toString(), v.getMessage()))
                .toList();
    // a record component's constraint may be reported twice (field and accessor): keep one
    Set<SpecViolation> unique = new LinkedHashSet<>();
    violations.stream().sorted(Comparator.comparing(SpecViolation::field)).forEach(unique::add);
    return List.copyOf(unique);
  }

  /** The violations as one line: {@code field: message; field: message}. */
  public static String describe(List<SpecViolation> violations) {
    return String.join("; ", violations.stream().map(v -> v.field() + ": " + v.message()).toList());
  }
}
