package dev.bd3.gateway;

import jakarta.ws.rs.core.Application;
import org.eclipse.microprofile.openapi.annotations.OpenAPIDefinition;
import org.eclipse.microprofile.openapi.annotations.info.Info;
import org.eclipse.microprofile.openapi.annotations.info.License;
import org.eclipse.microprofile.openapi.annotations.servers.Server;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * What the API document says of the API as a whole: its licence, where the local suite serves it,
 * and what each group of operations is for (the resources name their group with {@code @Tag}).
 */
@OpenAPIDefinition(
    info =
        @Info(
            title = "bd3 gateway",
            version = "0.1.0",
            description = "Train, evaluate and serve block diffusion language models (BD3-LMs)",
            license =
                @License(name = "Apache-2.0", url = "https://www.apache.org/licenses/LICENSE-2.0")),
    servers = @Server(url = "/", description = "the gateway that serves this document"),
    tags = {
      @Tag(
          name = "runs",
          description =
              "Submit training, evaluation and sampling jobs, each a run; follow or cancel runs;"
                  + " their history: metrics, checkpoints, samples, releases"),
      @Tag(name = "datasets", description = "Text corpora uploaded to train and evaluate on"),
      @Tag(name = "models", description = "Import checkpoints in the authors' release layout"),
      @Tag(
          name = "catalog",
          description = "Job types, spec fields, presets and limits, as the gateway checks them"),
      @Tag(name = "keys", description = "API keys and their roles"),
      @Tag(
          name = "dead letters",
          description = "Messages parked with their reason, and their replay"),
      @Tag(
          name = "openai",
          description = "OpenAI-compatible completions and models, for existing clients")
    })
public class ApiDocument extends Application {}
