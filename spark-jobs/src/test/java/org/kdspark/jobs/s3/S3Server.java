package org.kdspark.jobs.s3;

import com.amazonaws.auth.AWSStaticCredentialsProvider;
import com.amazonaws.auth.BasicAWSCredentials;
import com.amazonaws.client.builder.AwsClientBuilder;
import com.amazonaws.services.s3.AmazonS3;
import com.amazonaws.services.s3.AmazonS3ClientBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;

/**
 * A real S3-compatible server on 127.0.0.1: s3proxy (copied to {@code target/s3proxy} by the build) in a JVM of its
 * own, storing objects in a local directory. Clients use path-style requests, plain HTTP and static credentials.
 */
final class S3Server implements AutoCloseable {

    static final String ACCESS_KEY = "kd-test-access";
    static final String SECRET_KEY = "kd-test-secret";

    private final Process process;
    private final int port;

    private S3Server(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Starts the server with its objects under {@code dir}; returns once it accepts connections. */
    static S3Server start(Path dir) throws IOException, InterruptedException {
        Path jar = Path.of(System.getProperty("kd.test.s3proxyJar", "target/s3proxy/s3proxy.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: run the tests through Maven, which copies s3proxy there");
        }
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        Path blobs = Files.createDirectories(dir.resolve("blobs"));
        Path properties = dir.resolve("s3proxy.properties");
        Files.writeString(properties, String.join("\n",
                "s3proxy.endpoint=http://127.0.0.1:" + port,
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + ACCESS_KEY,
                "s3proxy.credential=" + SECRET_KEY,
                "jclouds.provider=filesystem",
                "jclouds.filesystem.basedir=" + blobs,
                ""));
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-jar", jar.toString(), "--properties", properties.toString());
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("s3proxy.log").toFile()).start();
        S3Server server = new S3Server(process, port);
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return server;
            } catch (IOException notYet) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    server.close();
                    throw new IllegalStateException("s3proxy did not start; see " + dir.resolve("s3proxy.log") + ": "
                            + Files.readString(dir.resolve("s3proxy.log")));
                }
                Thread.sleep(200);
            }
        }
    }

    String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** Creates {@code bucket} with the AWS SDK (S3A does not create buckets). */
    void createBucket(String bucket) {
        AmazonS3 s3 = AmazonS3ClientBuilder.standard()
                .withEndpointConfiguration(new AwsClientBuilder.EndpointConfiguration(endpoint(), "us-east-1"))
                .withPathStyleAccessEnabled(true)
                .withCredentials(new AWSStaticCredentialsProvider(new BasicAWSCredentials(ACCESS_KEY, SECRET_KEY)))
                .build();
        try {
            s3.createBucket(bucket);
        } finally {
            s3.shutdown();
        }
    }

    /** Points S3A at this server for {@code bucket} only (per-bucket keys), leaving other buckets' settings alone. */
    void configure(Configuration conf, String bucket) {
        String prefix = "fs.s3a.bucket." + bucket + ".";
        conf.set(prefix + "endpoint", endpoint());
        conf.set(prefix + "path.style.access", "true");
        conf.set(prefix + "connection.ssl.enabled", "false");
        conf.set(prefix + "aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
        conf.set(prefix + "access.key", ACCESS_KEY);
        conf.set(prefix + "secret.key", SECRET_KEY);
        conf.set(prefix + "endpoint.region", "us-east-1");
        conf.set(prefix + "change.detection.version.required", "false");
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
