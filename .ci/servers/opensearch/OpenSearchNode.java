// One OpenSearch node on loopback, started from OpenSearch's own jars on Maven Central (see pom.xml):
// OpenSearch's Node class with its Netty4 HTTP transport module, single-node discovery.
// Usage: java -cp 'lib/*' OpenSearchNode.java HOME HTTP_PORT TRANSPORT_PORT
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.opensearch.common.settings.Settings;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.transport.Netty4Plugin;

public final class OpenSearchNode {
    public static void main(String[] args) throws Exception {
        Path home = Path.of(args[0]);
        Settings settings = Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("cluster.name", "homelab-ci")
            .put("node.name", "homelab-ci")
            .put("network.host", "127.0.0.1")
            .put("http.port", args[1])
            .put("transport.port", args[2])
            .put("discovery.type", "single-node")
            // a test server on a shared disk: do not block index creation when the disk passes a watermark
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .build();
        var environment = InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), home.resolve("config"), () -> "homelab-ci");
        // Node's constructor that takes plugin classes is protected: an anonymous subclass reaches it.
        Node node = new Node(environment, List.of(Netty4Plugin.class), true) {};
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
            } catch (Exception ignored) {
                // shutting down anyway
            }
        }));
        node.start();
        System.out.println("opensearch node started on 127.0.0.1:" + args[1]);
        // Node's threads are daemons (OpenSearch's own launcher keeps a thread alive the same way).
        new CountDownLatch(1).await();
    }
}
