package org.kdspark.jobs.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.kdspark.kd.provenance.BuildInfo;

/**
 * The Dockerfiles, read instruction by instruction (there is no Docker engine here): the Spark base image, what they
 * copy from the build and where, the non-root user, and the entrypoint that gives every JVM kd's flags.
 */
class DockerfilesTest {

    private record Instruction(String op, String args) {
    }

    private static List<Instruction> parse(Path file) throws IOException {
        List<Instruction> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : Files.readAllLines(file)) {
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            current.append(t.endsWith("\\") ? t.substring(0, t.length() - 1) + " " : t);
            if (!t.endsWith("\\")) {
                String s = current.toString().strip();
                int sp = s.indexOf(' ');
                out.add(new Instruction(s.substring(0, sp).toUpperCase(), s.substring(sp + 1).strip()));
                current.setLength(0);
            }
        }
        return out;
    }

    /** ARG defaults, then ${NAME} substituted. */
    private static String expand(String s, Map<String, String> args) {
        for (Map.Entry<String, String> a : args.entrySet()) {
            s = s.replace("${" + a.getKey() + "}", a.getValue());
        }
        return s;
    }

    private static void check(String name, String jarClassifier) throws IOException {
        List<Instruction> ins = parse(DeployFiles.deploy().resolve("docker").resolve(name));
        Map<String, String> args = new HashMap<>();
        Map<String, String> copies = new HashMap<>(); // destination -> source
        List<String> froms = new ArrayList<>();
        String user = null;
        String entrypoint = null;
        for (Instruction i : ins) {
            switch (i.op()) {
                case "ARG" -> {
                    String[] kv = i.args().split("=", 2);
                    args.put(kv[0], kv.length > 1 ? kv[1] : "");
                }
                case "FROM" -> froms.add(expand(i.args(), args));
                case "COPY" -> {
                    if (!i.args().startsWith("--from")) {
                        String[] parts = expand(i.args(), args).split("\\s+");
                        for (int k = 0; k < parts.length - 1; k++) {
                            copies.put(parts[parts.length - 1], parts[k]);
                        }
                    }
                }
                case "USER" -> user = i.args();
                case "ENTRYPOINT" -> entrypoint = i.args();
                default -> { }
            }
        }
        assertTrue(froms.stream().anyMatch(f -> f.startsWith("apache/spark:3.5.5-") && f.contains("java17")),
                name + ": built on the official Spark 3.5.5 image with Java 17 (kd's classes are Java 17): " + froms);
        // what the manifests and submit.sh expect inside the image
        String jar = copies.get("/opt/kd/lib/kd-cluster.jar");
        assertEquals("spark-jobs/target/spark-jobs-" + BuildInfo.version() + "-" + jarClassifier + ".jar", jar, name + ": the shaded jar");
        assertEquals("spark-jobs/target/launcher/jvm.args", copies.get("/opt/kd/lib/jvm.args"), name);
        assertEquals("conf/", copies.get("/opt/kd/conf/"), name);
        assertEquals("spark-jobs/target/cloud-jars/", copies.get("/opt/spark/jars/"), name + ": S3A and its committers beside Spark's jars");
        assertEquals("deploy/", copies.get("/opt/kd/deploy/"), name);
        assertTrue(user != null && user.matches("[1-9][0-9]*"), name + ": the last USER must be a numeric non-root uid, is " + user);
        assertEquals("[\"/opt/kd/deploy/docker/kd-entrypoint.sh\"]", entrypoint, name);
        String wrapper = Files.readString(DeployFiles.deploy().resolve("docker/kd-entrypoint.sh"));
        assertTrue(wrapper.contains("/opt/kd/lib/jvm.args") && wrapper.contains("JDK_JAVA_OPTIONS") && wrapper.contains("exec /opt/entrypoint.sh"),
                "the entrypoint hands kd's JVM flags to every JVM, then runs Spark's entrypoint");
    }

    @Test
    void cpuImageIsTheSparkImageWithTheThinJarConfAndANonRootUser() throws IOException {
        check("Dockerfile", "cluster");
    }

    @Test
    void cudaImageCarriesTheCudaJarOnACuda116Runtime() throws IOException {
        check("Dockerfile.cuda", "cluster-cuda");
        String text = Files.readString(DeployFiles.deploy().resolve("docker/Dockerfile.cuda"));
        assertTrue(text.contains("nvidia/cuda:11.6") && text.contains("cudnn8"), "CUDA 11.6 + cuDNN 8 runtime, what nd4j-cuda-11.6 links against");
        assertTrue(text.contains("Hopper"), "the image documents that ND4J's CUDA 11.6 backend does not run on Hopper");
    }
}
