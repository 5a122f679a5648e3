package dev.bd3.gateway;

import dev.bd3.gateway.runs.JobSubmission;
import dev.bd3.jobs.JobType;
import java.util.Arrays;
import java.util.List;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.media.Schema;

/**
 * Lists the job types in the OpenAPI document from {@link JobType}, the one place they are named,
 * instead of an annotation that would repeat them.
 */
public class JobTypesInOpenApi implements OASFilter {
  @Override
  public void filterOpenAPI(OpenAPI openApi) {
    if (openApi.getComponents() == null || openApi.getComponents().getSchemas() == null) {
      return;
    }
    Schema submission =
        openApi.getComponents().getSchemas().get(JobSubmission.class.getSimpleName());
    if (submission != null && submission.getProperties() != null) {
      Schema type = submission.getProperties().get("type");
      if (type != null) {
        List<Object> names = Arrays.stream(JobType.values()).map(t -> (Object) t.json()).toList();
        type.setEnumeration(names);
      }
    }
  }
}
