import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * Creates the suite's topics for every prefix given, in one JVM, skipping those that exist.
 * Run by deploy/local/stack: java -cp 'target/kafka-lib/*' CreateTopics.java BOOTSTRAP PREFIX...
 */
public class CreateTopics {
  public static void main(String[] args) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]))) {
      Set<String> existing = admin.listTopics().names().get();
      List<NewTopic> topics = new ArrayList<>();
      for (int i = 1; i < args.length; i++) {
        String p = args[i];
        for (String name : List.of(".jobs.train", ".jobs.eval", ".jobs.sample", ".job-events", ".jobs.dlq")) {
          topics.add(new NewTopic(p + name, 4, (short) 1));
        }
        topics.add(new NewTopic(p + ".jobs.control", 1, (short) 1)); // every worker reads it all
      }
      topics.removeIf(t -> existing.contains(t.name()));
      if (!topics.isEmpty()) {
        admin.createTopics(topics).all().get();
      }
    }
  }
}
