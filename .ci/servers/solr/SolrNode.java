// One Apache Solr node on loopback, started from Solr's own jars on Maven Central (see pom.xml): Solr's
// JettySolrRunner (Solr's dispatch filter in Jetty, context /solr, bound to 127.0.0.1), standalone mode.
// Basic authentication is on: security.json is written here with the hash Solr's own provider makes.
// Usage: java -cp 'lib/*' SolrNode.java HOME PORT USER PASSWORD
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;
import org.apache.solr.security.Sha256AuthenticationProvider;

public final class SolrNode {
    public static void main(String[] args) throws Exception {
        Path home = Path.of(args[0]);
        String hash = Sha256AuthenticationProvider.getSaltedHashedValue(args[3]);
        Files.writeString(home.resolve("security.json"),
            "{\"authentication\": {\"class\": \"solr.BasicAuthPlugin\", \"blockUnknown\": true,"
            + " \"credentials\": {\"" + args[2] + "\": \"" + hash + "\"}}}\n");
        Files.writeString(home.resolve("solr.xml"), "<solr/>\n");
        JettyConfig config = JettyConfig.builder().setPort(Integer.parseInt(args[1])).setContext("/solr")
            .stopAtShutdown(true).build();
        JettySolrRunner solr = new JettySolrRunner(home.toString(), config);
        solr.start();
        System.out.println("solr started on " + solr.getBaseUrl());
        new CountDownLatch(1).await();
    }
}
