package org.kdspark.jobs.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/submit.sh and its named variants, run with a stand-in spark-submit that records its arguments: the
 * spark-submit options per target, the JVM flags for driver and executors, the shipped config, GPU resources, and
 * that credentials in the environment never reach the command line.
 */
class SubmitScriptTest {

    private static final String SECRET = "do-not-print-me-4711";

    @TempDir
    Path dir;
    private Path jar;
    private Path record;

    /** What spark-submit received: its options (--conf split into a map), the application jar and kd's arguments. */
    record Call(Map<String, String> options, Map<String, String> conf, String appJar, List<String> kdArgs, String stderr) {

        static Call parse(List<String> args, String stderr) {
            Map<String, String> options = new LinkedHashMap<>();
            Map<String, String> conf = new LinkedHashMap<>();
            int i = 0;
            while (args.get(i).startsWith("--")) {
                String key = args.get(i);
                String value = args.get(i + 1);
                if (key.equals("--conf")) {
                    int eq = value.indexOf('=');
                    conf.put(value.substring(0, eq), value.substring(eq + 1));
                } else {
                    options.put(key, value);
                }
                i += 2;
            }
            return new Call(options, conf, args.get(i), args.subList(i + 1, args.size()), stderr);
        }
    }

    @BeforeEach
    void standInSparkSubmit() throws IOException {
        jar = Files.writeString(dir.resolve("spark-jobs-test-cluster.jar"), "not a real jar");
        record = dir.resolve("args.bin");
    }

    private Call submit(String script, Map<String, String> env, String... args) throws Exception {
        Result r = run(script, env, args);
        assertEquals(0, r.code, r.stderr);
        byte[] bytes = Files.readAllBytes(record);
        List<String> recorded = new ArrayList<>(List.of(new String(bytes, StandardCharsets.UTF_8).split("\0", -1)));
        recorded.remove(recorded.size() - 1);
        return Call.parse(recorded, r.stderr);
    }

    private record Result(int code, String stderr) {
    }

    private Result run(String script, Map<String, String> env, String... args) throws Exception {
        Path recorder = dir.resolve("spark-submit");
        Files.writeString(recorder, "#!/usr/bin/env bash\nprintf '%s\\0' \"$@\" > \"$KD_TEST_RECORD\"\n");
        recorder.toFile().setExecutable(true);
        List<String> cmd = new ArrayList<>(List.of(DeployFiles.deploy().resolve(script).toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(DeployFiles.root().toFile());
        Map<String, String> e = pb.environment();
        e.keySet().removeIf(k -> k.startsWith("KD_") || k.startsWith("SPARK_") || k.startsWith("HADOOP_") || k.startsWith("YARN_"));
        e.put("SPARK_SUBMIT", recorder.toString());
        e.put("KD_TEST_RECORD", record.toString());
        e.put("KD_JAR", jar.toString());
        e.put("AWS_SECRET_ACCESS_KEY", SECRET);
        e.putAll(env);
        Process p = pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Result(p.exitValue(), err);
    }

    private static void assertJvmFlagsOnDriverAndExecutors(Call call) throws IOException {
        for (String role : List.of("driver", "executor")) {
            String opts = call.conf().get("spark." + role + ".extraJavaOptions");
            assertTrue(opts != null, "no spark." + role + ".extraJavaOptions");
            List<String> given = List.of(opts.split(" "));
            for (String flag : DeployFiles.jvmFlags()) {
                assertTrue(given.contains(flag), role + " lacks " + flag + ": " + opts);
            }
            assertTrue(opts.contains("-Dlog4j2.configurationFile=") && opts.contains("-Dorg.bytedeco.javacpp.cachedir="), opts);
        }
    }

    private static void assertNoSecret(Call call) {
        String all = call.options() + " " + call.conf() + " " + call.kdArgs() + " " + call.stderr();
        assertFalse(all.contains(SECRET), "a credential from the environment reached the command line or the log");
    }

    @Test
    void yarnClusterShipsTheConfigAndPointsKdAtTheShippedCopy() throws Exception {
        Call call = submit("yarn-cluster.sh", Map.of("HADOOP_CONF_DIR", dir.toString(), "KD_QUEUE", "ml",
                "KD_CREDENTIAL_PROVIDER", "jceks://hdfs@nn/user/kd/s3.jceks"),
                "distill", "conf/fashion-mnist.yaml", "--output", "hdfs:///user/kd/runs/a", "--set", "distill.epochs=2");

        assertEquals("yarn", call.options().get("--master"));
        assertEquals("cluster", call.options().get("--deploy-mode"));
        assertEquals(DeployFiles.MAIN_CLASS, call.options().get("--class"));
        assertEquals("ml", call.options().get("--queue"));
        assertEquals(DeployFiles.root().resolve("conf/spark-defaults-yarn.conf").toString(), call.options().get("--properties-file"));
        assertEquals(jar.toString(), call.appJar());
        List<String> files = List.of(call.options().get("--files").split(","));
        assertTrue(files.contains(DeployFiles.root().resolve("conf/fashion-mnist.yaml").toString()), files.toString());
        assertTrue(files.contains(DeployFiles.root().resolve("conf/log4j2-cluster.properties").toString()), files.toString());
        // in cluster mode the driver runs in a YARN container, where --files land in the working directory
        assertEquals(List.of("distill", "--config", "fashion-mnist.yaml", "--output", "hdfs:///user/kd/runs/a", "--set", "distill.epochs=2"),
                call.kdArgs());
        assertEquals("distill", DeployFiles.parseKd(call.kdArgs()).commandSpec().name());
        assertJvmFlagsOnDriverAndExecutors(call);
        assertTrue(call.conf().get("spark.executor.extraJavaOptions").contains("-Dlog4j2.configurationFile=log4j2-cluster.properties"));
        assertEquals("jceks://hdfs@nn/user/kd/s3.jceks", call.conf().get("spark.hadoop.hadoop.security.credential.provider.path"));
        assertFalse(call.conf().containsKey("spark.executor.resource.gpu.amount"));
        assertNoSecret(call);
    }

    @Test
    void yarnClientKeepsTheLocalConfigPathForTheLocalDriver() throws Exception {
        Call call = submit("yarn-client.sh", Map.of("YARN_CONF_DIR", dir.toString()), "soft-labels", "conf/fashion-mnist-quick.yaml");
        assertEquals("client", call.options().get("--deploy-mode"));
        String config = DeployFiles.root().resolve("conf/fashion-mnist-quick.yaml").toString();
        assertEquals(List.of("soft-labels", "--config", config), call.kdArgs());
        DeployFiles.checkKdArguments(call.kdArgs(), false);
        assertJvmFlagsOnDriverAndExecutors(call);
        assertNoSecret(call);
    }

    @Test
    void yarnGpuVariantRequestsGpusWithTheShippedDiscoveryScript() throws Exception {
        Call call = submit("yarn-cluster-gpu.sh", Map.of("HADOOP_CONF_DIR", dir.toString(), "KD_GPUS", "2"), "distill", "conf/fashion-mnist.yaml");
        assertEquals("2", call.conf().get("spark.executor.resource.gpu.amount"));
        assertEquals("1", call.conf().get("spark.task.resource.gpu.amount"));
        assertEquals("./getGpusResources.sh", call.conf().get("spark.executor.resource.gpu.discoveryScript"));
        assertTrue(List.of(call.options().get("--files").split(",")).contains(DeployFiles.deploy().resolve("gpu/getGpusResources.sh").toString()));
        // the CUDA build runs ND4J in the driver too: in cluster mode it finds its GPU with the shipped script
        assertEquals("1", call.conf().get("spark.driver.resource.gpu.amount"));
        assertEquals("./getGpusResources.sh", call.conf().get("spark.driver.resource.gpu.discoveryScript"));
    }

    @Test
    void yarnClientGpuDriverFindsItsGpuWithTheLocalScriptAndCanBeLeftWithout() throws Exception {
        Call call = submit("yarn-client-gpu.sh", Map.of("HADOOP_CONF_DIR", dir.toString()), "distill", "conf/fashion-mnist.yaml");
        assertEquals("1", call.conf().get("spark.executor.resource.gpu.amount"));
        assertEquals(DeployFiles.deploy().resolve("gpu/getGpusResources.sh").toString(), call.conf().get("spark.driver.resource.gpu.discoveryScript"));
        assertTrue(Files.isExecutable(Path.of(call.conf().get("spark.driver.resource.gpu.discoveryScript"))));
        Call without = submit("yarn-client-gpu.sh", Map.of("HADOOP_CONF_DIR", dir.toString(), "KD_DRIVER_GPUS", "0"), "distill",
                "conf/fashion-mnist.yaml");
        assertFalse(without.conf().containsKey("spark.driver.resource.gpu.amount"));
        assertEquals("1", without.conf().get("spark.executor.resource.gpu.amount"));
    }

    @Test
    void kubernetesGpuVariantUsesTheImageNamespaceServiceAccountAndSecretReferences() throws Exception {
        Map<String, String> env = new HashMap<>(Map.of("KD_K8S_MASTER", "k8s://https://api.example.com:6443",
                "KD_IMAGE", "registry.example.com/kd/kd-spark:0.1.0-SNAPSHOT-cuda", "KD_NAMESPACE", "ml", "KD_K8S_S3_SECRET", "kd-s3"));
        Call call = submit("k8s-gpu.sh", env, "pipeline", "local:///opt/kd/conf/fashion-mnist.yaml", "--output", "s3a://kd/runs/x");

        assertEquals("k8s://https://api.example.com:6443", call.options().get("--master"));
        assertEquals("cluster", call.options().get("--deploy-mode"));
        assertEquals(DeployFiles.IMAGE_JAR, call.appJar());
        assertEquals(env.get("KD_IMAGE"), call.conf().get("spark.kubernetes.container.image"));
        assertEquals("ml", call.conf().get("spark.kubernetes.namespace"));
        assertEquals("kd-spark", call.conf().get("spark.kubernetes.authenticate.driver.serviceAccountName"));
        for (String role : List.of("driver", "executor")) {
            assertTrue(Files.isRegularFile(Path.of(call.conf().get("spark.kubernetes." + role + ".podTemplateFile"))));
            assertEquals("kd-s3:secret-key", call.conf().get("spark.kubernetes." + role + ".secretKeyRef.AWS_SECRET_ACCESS_KEY"));
        }
        assertEquals("1", call.conf().get("spark.executor.resource.gpu.amount"));
        assertEquals("nvidia.com", call.conf().get("spark.executor.resource.gpu.vendor"));
        assertTrue(Files.isExecutable(DeployFiles.repoFileOfImagePath(call.conf().get("spark.executor.resource.gpu.discoveryScript"))));
        assertEquals("1", call.conf().get("spark.driver.resource.gpu.amount"));
        assertEquals("nvidia.com", call.conf().get("spark.driver.resource.gpu.vendor"));
        assertEquals(call.conf().get("spark.executor.resource.gpu.discoveryScript"), call.conf().get("spark.driver.resource.gpu.discoveryScript"));
        assertTrue(Files.isRegularFile(DeployFiles.repoFileOfImagePath(
                call.conf().get("spark.driver.extraJavaOptions").replaceAll(".*-Dlog4j2.configurationFile=(\\S+).*", "$1"))));
        assertEquals("pipeline", DeployFiles.checkKdArguments(call.kdArgs(), true));
        assertJvmFlagsOnDriverAndExecutors(call);
        assertNoSecret(call);
    }

    @Test
    void kubernetesRefusesALocalConfigWithoutAnUploadPath() throws Exception {
        Result r = run("k8s.sh", Map.of("KD_K8S_MASTER", "k8s://https://api:6443", "KD_IMAGE", "kd"), "distill", "conf/fashion-mnist.yaml");
        assertEquals(2, r.code);
        assertTrue(r.stderr.contains("KD_K8S_UPLOAD_PATH"), r.stderr);
    }

    @Test
    void anUnknownTargetIsAUsageErrorThatListsTheTargets() throws Exception {
        Result r = run("submit.sh", Map.of(), "mesos", "distill", "conf/fashion-mnist.yaml");
        assertEquals(2, r.code);
        assertTrue(r.stderr.contains("yarn-cluster, yarn-client, k8s, local"), r.stderr);
    }

    @Test
    void yarnWithoutAHadoopConfigurationSaysWhatToSet() throws Exception {
        Result r = run("yarn-client.sh", Map.of(), "distill", "conf/fashion-mnist.yaml");
        assertEquals(2, r.code);
        assertTrue(r.stderr.contains("HADOOP_CONF_DIR"), r.stderr);
    }
}
