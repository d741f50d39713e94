package org.kdspark.jobs.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.kdspark.kd.provenance.BuildInfo;

/**
 * The manifests in deploy/k8s/, parsed and checked against the code: the main class, kd's arguments and config
 * files, the image and the jar inside it, non-root security contexts, the service account of the RBAC file, and GPU
 * requests exactly in the GPU variants.
 */
class KubernetesManifestsTest {

    private static final String SERVICE_ACCOUNT = "kd-spark";

    private static Map<String, List<JsonNode>> manifests() throws IOException {
        Map<String, List<JsonNode>> all = new TreeMap<>();
        try (Stream<Path> files = Files.list(DeployFiles.deploy().resolve("k8s"))) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".yaml")).sorted()::iterator) {
                all.put(f.getFileName().toString(), DeployFiles.yamlDocuments(f));
            }
        }
        return all;
    }

    /** Spark application specs by file: SparkApplication's spec, ScheduledSparkApplication's spec.template. */
    private static Map<String, JsonNode> sparkSpecs() throws IOException {
        Map<String, JsonNode> specs = new TreeMap<>();
        manifests().forEach((file, docs) -> docs.forEach(d -> {
            switch (d.path("kind").asText()) {
                case "SparkApplication" -> specs.put(file, d.path("spec"));
                case "ScheduledSparkApplication" -> specs.put(file, d.path("spec").path("template"));
                default -> { }
            }
        }));
        return specs;
    }

    private static boolean isGpuVariant(String file) {
        return file.contains("-gpu");
    }

    private static String expectedImage(String file) {
        return "kd-spark:" + BuildInfo.version() + (isGpuVariant(file) ? "-cuda" : "");
    }

    private static void assertNonRoot(String where, JsonNode context) {
        assertTrue(context.path("runAsNonRoot").asBoolean(false), where + ": runAsNonRoot must be true");
        assertTrue(context.path("runAsUser").asInt(0) > 0, where + ": runAsUser must be a non-root uid (numeric, so Kubernetes can verify it)");
    }

    @Test
    void theBaseAndItsNamedVariantsArePresent() throws IOException {
        assertTrue(sparkSpecs().keySet().containsAll(List.of("kd-pipeline.yaml", "kd-soft-labels.yaml", "kd-distill.yaml",
                "kd-distill-gpu.yaml", "kd-nightly.yaml")), sparkSpecs().keySet().toString());
        assertTrue(manifests().containsKey("kd-nightly-cronjob.yaml") && manifests().containsKey("rbac.yaml"));
    }

    @Test
    void everySparkApplicationRunsKdFromTheImageWithValidArguments() throws Exception {
        for (Map.Entry<String, JsonNode> e : sparkSpecs().entrySet()) {
            String file = e.getKey();
            JsonNode spec = e.getValue();
            assertEquals("Java", spec.path("type").asText(), file);
            assertEquals("cluster", spec.path("mode").asText(), file);
            assertEquals(org.apache.spark.package$.MODULE$.SPARK_VERSION(), spec.path("sparkVersion").asText(), file + ": sparkVersion");
            assertEquals(DeployFiles.MAIN_CLASS, spec.path("mainClass").asText(), file);
            Class.forName(spec.path("mainClass").asText()).getMethod("main", String[].class);
            assertEquals(DeployFiles.IMAGE_JAR, spec.path("mainApplicationFile").asText(), file + ": the jar the Dockerfiles install");
            assertTrue(spec.path("image").asText().endsWith("/" + expectedImage(file)), file + ": image " + spec.path("image").asText());

            List<String> args = new ArrayList<>();
            spec.path("arguments").forEach(a -> args.add(a.asText()));
            String job = DeployFiles.checkKdArguments(args, true);
            assertTrue(DeployFiles.CLUSTER_JOBS.contains(job), file + ": job " + job);
            String expectedJob = file.replace("kd-", "").replace("-gpu", "").replace(".yaml", "").replace("nightly", "retrain");
            assertEquals(expectedJob, job, file + " runs the job its name says");

            for (String role : List.of("driver", "executor")) {
                JsonNode pod = spec.path(role);
                assertNonRoot(file + " " + role + " podSecurityContext", pod.path("podSecurityContext"));
                assertNonRoot(file + " " + role + " securityContext", pod.path("securityContext"));
                assertFalse(pod.path("securityContext").path("allowPrivilegeEscalation").asBoolean(true), file + " " + role);
                String log4j = pod.path("javaOptions").asText().replaceAll(".*-Dlog4j2.configurationFile=(\\S+).*", "$1");
                assertTrue(Files.isRegularFile(DeployFiles.repoFileOfImagePath(log4j)), file + " " + role + ": log4j2 config " + log4j);
                pod.path("env").forEach(env -> assertTrue(env.path("value").isMissingNode(),
                        file + ": " + env.path("name").asText() + " must come from a Secret, not a literal value"));
            }
            assertEquals(SERVICE_ACCOUNT, spec.path("driver").path("serviceAccount").asText(), file);
        }
    }

    @Test
    void gpuVariantsRequestGpusFromKubernetesAndSparkAndOthersDoNot() throws IOException {
        for (Map.Entry<String, JsonNode> e : sparkSpecs().entrySet()) {
            JsonNode spec = e.getValue();
            JsonNode gpu = spec.path("executor").path("gpu");
            JsonNode conf = spec.path("sparkConf");
            if (isGpuVariant(e.getKey())) {
                assertEquals("nvidia.com/gpu", gpu.path("name").asText(), e.getKey());
                assertTrue(gpu.path("quantity").asInt() >= 1, e.getKey());
                assertEquals(gpu.path("quantity").asText(), conf.path("spark.executor.resource.gpu.amount").asText(), e.getKey());
                assertTrue(conf.path("spark.task.resource.gpu.amount").asDouble() > 0, e.getKey());
                assertEquals("nvidia.com", conf.path("spark.executor.resource.gpu.vendor").asText(), e.getKey());
                Path script = DeployFiles.repoFileOfImagePath(conf.path("spark.executor.resource.gpu.discoveryScript").asText());
                assertTrue(Files.isExecutable(script), e.getKey() + ": discovery script " + script);
                // the driver runs ND4J too, and the CUDA backend needs a GPU in every JVM
                JsonNode driverGpu = spec.path("driver").path("gpu");
                assertEquals("nvidia.com/gpu", driverGpu.path("name").asText(), e.getKey());
                assertEquals(driverGpu.path("quantity").asText(), conf.path("spark.driver.resource.gpu.amount").asText(), e.getKey());
                assertEquals("nvidia.com", conf.path("spark.driver.resource.gpu.vendor").asText(), e.getKey());
                assertEquals(conf.path("spark.executor.resource.gpu.discoveryScript"), conf.path("spark.driver.resource.gpu.discoveryScript"));
                for (String role : List.of("driver", "executor")) {
                    assertTrue(spec.path(role).path("affinity").toString().contains("hopper"), e.getKey() + ": " + role + " kept off Hopper");
                }
            } else {
                assertTrue(gpu.isMissingNode(), e.getKey() + " must not request GPUs");
                assertTrue(spec.path("driver").path("gpu").isMissingNode(), e.getKey() + " must not request GPUs");
                assertTrue(conf.path("spark.executor.resource.gpu.amount").isMissingNode(), e.getKey());
                assertTrue(conf.path("spark.driver.resource.gpu.amount").isMissingNode(), e.getKey());
            }
        }
    }

    @Test
    void variantsDifferFromTheBaseOnlyInNameJobResourcesAndGpus() throws IOException {
        JsonNode base = sparkSpecs().get("kd-pipeline.yaml");
        for (Map.Entry<String, JsonNode> e : sparkSpecs().entrySet()) {
            JsonNode spec = e.getValue();
            for (String field : List.of("type", "mode", "sparkVersion", "mainClass", "mainApplicationFile", "imagePullPolicy", "restartPolicy")) {
                assertEquals(base.path(field), spec.path(field), e.getKey() + ": " + field);
            }
            for (String role : List.of("driver", "executor")) {
                for (String field : List.of("javaOptions", "env", "podSecurityContext", "securityContext", "labels")) {
                    assertEquals(base.path(role).path(field), spec.path(role).path(field), e.getKey() + ": " + role + "." + field);
                }
            }
            assertEquals(base.path("image").asText() + (isGpuVariant(e.getKey()) ? "-cuda" : ""), spec.path("image").asText(), e.getKey());
        }
    }

    @Test
    void nightlyScheduleIsACronExpressionWithoutOverlappingRuns() throws IOException {
        JsonNode scheduled = DeployFiles.byKind(manifests().get("kd-nightly.yaml")).get("ScheduledSparkApplication");
        assertEquals(5, scheduled.path("spec").path("schedule").asText().trim().split("\\s+").length);
        assertEquals("Forbid", scheduled.path("spec").path("concurrencyPolicy").asText());
    }

    @Test
    void cronJobRunsTheSubmitScriptOfTheImageAsNonRoot() throws Exception {
        JsonNode cron = DeployFiles.byKind(manifests().get("kd-nightly-cronjob.yaml")).get("CronJob");
        assertEquals("batch/v1", cron.path("apiVersion").asText());
        assertEquals(5, cron.path("spec").path("schedule").asText().trim().split("\\s+").length);
        assertEquals("Forbid", cron.path("spec").path("concurrencyPolicy").asText());
        JsonNode pod = cron.path("spec").path("jobTemplate").path("spec").path("template").path("spec");
        assertEquals(SERVICE_ACCOUNT, pod.path("serviceAccountName").asText());
        assertNonRoot("CronJob pod", pod.path("securityContext"));
        JsonNode container = pod.path("containers").get(0);
        assertNonRoot("CronJob container", container.path("securityContext"));
        assertTrue(container.path("image").asText().endsWith("/" + expectedImage("cronjob")));

        String script = container.path("command").get(0).asText();
        assertTrue(Files.isExecutable(DeployFiles.repoFileOfImagePath(script)), script);
        List<String> args = new ArrayList<>();
        container.path("args").forEach(a -> args.add(a.asText()));
        assertEquals("k8s", args.get(0), "submit.sh target");
        // submit.sh TARGET JOB CONFIG [kd options] becomes: kd JOB --config CONFIG [kd options]
        List<String> kd = new ArrayList<>(List.of(args.get(1), "--config", args.get(2).replace("local://", "")));
        kd.addAll(args.subList(3, args.size()));
        assertEquals("retrain", DeployFiles.checkKdArguments(kd, true));

        Map<String, JsonNode> env = new TreeMap<>();
        container.path("env").forEach(v -> env.put(v.path("name").asText(), v));
        assertTrue(env.get("KD_K8S_MASTER").path("value").asText().startsWith("k8s://https://"));
        assertEquals(container.path("image").asText(), env.get("KD_IMAGE").path("value").asText(), "the image of driver and executors");
        env.keySet().forEach(k -> assertFalse(k.startsWith("AWS_"), "credentials must not be set on the submitting pod: " + k));
    }

    @Test
    void rbacGrantsTheDriverServiceAccountWhatSparkNeedsInItsNamespaceOnly() throws IOException {
        Map<String, JsonNode> rbac = DeployFiles.byKind(manifests().get("rbac.yaml"));
        assertEquals(SERVICE_ACCOUNT, rbac.get("ServiceAccount").path("metadata").path("name").asText());
        JsonNode role = rbac.get("Role");
        assertFalse(rbac.containsKey("ClusterRole") || rbac.containsKey("ClusterRoleBinding"), "namespace-scoped only");
        List<String> resources = new ArrayList<>();
        role.path("rules").forEach(r -> r.path("resources").forEach(x -> resources.add(x.asText())));
        assertTrue(resources.containsAll(List.of("pods", "services", "configmaps")), resources.toString());
        JsonNode binding = rbac.get("RoleBinding");
        assertEquals(role.path("metadata").path("name").asText(), binding.path("roleRef").path("name").asText());
        assertEquals(SERVICE_ACCOUNT, binding.path("subjects").get(0).path("name").asText());
        String ns = rbac.get("ServiceAccount").path("metadata").path("namespace").asText();
        manifests().forEach((file, docs) -> docs.forEach(d -> {
            if (!d.path("kind").asText().equals("Pod")) {
                assertEquals(ns, d.path("metadata").path("namespace").asText(), file + " namespace");
            }
        }));
    }

    @Test
    void podTemplateForSparkSubmitIsNonRoot() {
        JsonNode pod = DeployFiles.yamlDocuments(DeployFiles.deploy().resolve("k8s/pod-template.yaml")).get(0);
        assertNonRoot("pod template", pod.path("spec").path("securityContext"));
        assertNonRoot("pod template container", pod.path("spec").path("containers").get(0).path("securityContext"));
    }
}
