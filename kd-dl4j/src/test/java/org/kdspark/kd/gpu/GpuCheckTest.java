package org.kdspark.kd.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The -Pcuda start-up check: capability strings as nvidia-smi prints them, and what the job does with each. */
class GpuCheckTest {

    private static Nd4jCudaSupport.Verdict verdict(String cc) {
        return Nd4jCudaSupport.decide(new GpuDevice("0", "test GPU", cc)).verdict();
    }

    @Test
    void verdictPerComputeCapability() {
        // exactly the cubins in libnd4jcuda.so
        for (String cc : List.of("3.7", "5.0", "5.2", "6.0", "6.1", "7.0", "7.5", "8.0", "8.6")) {
            assertEquals(Nd4jCudaSupport.Verdict.NATIVE, verdict(cc), cc);
        }
        // newer minor of a compiled major: Jetson Nano 5.3, TX2 6.2, Xavier 7.2, Orin 8.7, Ada 8.9
        for (String cc : List.of("5.3", "6.2", "7.2", "8.7", "8.9")) {
            assertEquals(Nd4jCudaSupport.Verdict.BINARY_COMPATIBLE, verdict(cc), cc);
        }
        // Kepler before K80; Hopper; Blackwell
        for (String cc : List.of("3.0", "3.5", "2.1", "9.0", "10.0", "12.0")) {
            assertEquals(Nd4jCudaSupport.Verdict.UNSUPPORTED, verdict(cc), cc);
        }
        for (String cc : List.of("[N/A]", "[Not Supported]", "", "8", "eight")) {
            assertEquals(Nd4jCudaSupport.Verdict.UNKNOWN, verdict(cc), cc);
        }
        assertEquals("sm_80", Nd4jCudaSupport.decide(new GpuDevice("0", "A100", "8.0")).kernel().sm());
        assertEquals("sm_86", Nd4jCudaSupport.decide(new GpuDevice("0", "RTX 4090", "8.9")).kernel().sm());
        assertEquals("sm_70", Nd4jCudaSupport.decide(new GpuDevice("0", "Xavier", "7.2")).kernel().sm());
    }

    @Test
    void capabilityParsesNvidiaSmiAndSmForms() {
        assertEquals(new ComputeCapability(9, 0), ComputeCapability.parse(" 9.0 ").orElseThrow());
        assertEquals(new ComputeCapability(12, 0), ComputeCapability.parse("12.0").orElseThrow());
        assertEquals(new ComputeCapability(8, 6), ComputeCapability.parse("sm_86").orElseThrow());
        assertEquals(new ComputeCapability(10, 0), ComputeCapability.parse("100").orElseThrow());
        assertTrue(ComputeCapability.parse("[N/A]").isEmpty());
        assertTrue(ComputeCapability.parse(null).isEmpty());
    }

    @Test
    void nvidiaSmiLinesParseAndAStrangeLineIsAnError() {
        NvidiaSmi.GpuList p = NvidiaSmi.parse("0, NVIDIA H100 80GB HBM3, 9.0\n1, NVIDIA A100-SXM4-40GB, 8.0\n\n");
        assertTrue(p.ok());
        assertEquals(List.of(new GpuDevice("0", "NVIDIA H100 80GB HBM3", "9.0"), new GpuDevice("1", "NVIDIA A100-SXM4-40GB", "8.0")),
                p.gpus());
        assertEquals("Tesla T4, rev. B", NvidiaSmi.parse("3, Tesla T4, rev. B, 7.5").gpus().get(0).name());
        NvidiaSmi.GpuList bad = NvidiaSmi.parse("Field \"compute_cap\" is not a valid field to query.");
        assertFalse(bad.ok());
        assertTrue(bad.error().contains("compute_cap"), bad.error());
    }

    @Test
    void hopperIsRefusedWithWhatToUseInstead() {
        GpuCheck.Outcome o = GpuCheck.evaluate("executor 1 on node-7", NvidiaSmi.parse("0, NVIDIA H100 80GB HBM3, 9.0\n"), List.of(),
                null, true);
        assertNotNull(o.refusal());
        for (String expected : List.of("executor 1 on node-7", "GPU 0 (NVIDIA H100 80GB HBM3, compute capability 9.0)",
                "newer than its newest kernels (sm_86)", "sm_37, sm_50, sm_52, sm_60, sm_61, sm_70, sm_75, sm_80, sm_86",
                "the CPU build", "-Pgpu-onnx", "soft_labels.onnx_device: cuda", "KD_GPU_CHECK=off")) {
            assertTrue(o.refusal().contains(expected), "message lacks '" + expected + "': " + o.refusal());
        }
    }

    @Test
    void onlyTheGpusThisJvmUsesCount() {
        NvidiaSmi.GpuList mixed = NvidiaSmi.parse("0, NVIDIA H100 80GB HBM3, 9.0\n1, NVIDIA A10, 8.6\n");
        assertNull(GpuCheck.evaluate("executor 2", mixed, List.of("1"), null, true).refusal(), "Spark assigned the A10");
        assertNotNull(GpuCheck.evaluate("executor 3", mixed, List.of("0"), null, true).refusal(), "Spark assigned the H100");
        assertNull(GpuCheck.evaluate("driver", mixed, List.of(), "1", true).refusal(), "CUDA_VISIBLE_DEVICES=1");
        assertNotNull(GpuCheck.evaluate("driver", mixed, List.of(), null, true).refusal(), "all GPUs");
        assertNotNull(GpuCheck.evaluate("driver", mixed, List.of(), "GPU-5f1c", true).refusal(), "UUIDs: every GPU is checked");
        String none = GpuCheck.evaluate("executor 4", mixed, List.of("5"), null, true).refusal();
        assertTrue(none.contains("no GPU with the assigned addresses [5]"), none);
    }

    @Test
    void adaWarnsAndGoesOnAndUnknownCapabilityWarns() {
        GpuCheck.Outcome ada = GpuCheck.evaluate("driver", NvidiaSmi.parse("0, NVIDIA L4, 8.9\n"), List.of(), null, true);
        assertNull(ada.refusal());
        assertEquals(1, ada.warnings().size());
        assertTrue(ada.warnings().get(0).contains("sm_86 kernels should run there"), ada.warnings().get(0));
        GpuCheck.Outcome old = GpuCheck.evaluate("driver", NvidiaSmi.parse("0, Tesla V100, [N/A]\n"), List.of(), null, true);
        assertNull(old.refusal());
        assertTrue(old.warnings().get(0).contains("not checked"));
        GpuCheck.Outcome a100 = GpuCheck.evaluate("driver", NvidiaSmi.parse("0, NVIDIA A100-SXM4-80GB, 8.0\n"), List.of(), null, true);
        assertNull(a100.refusal());
        assertTrue(a100.warnings().isEmpty());
    }

    @Test
    void noGpuAtAllIsRefusedButAMissingNvidiaSmiBesideADriverOnlyWarns() {
        NvidiaSmi.GpuList missing = new NvidiaSmi.GpuList(List.of(), "nvidia-smi could not be run (No such file)");
        String refusal = GpuCheck.evaluate("driver", missing, List.of(), null, false).refusal();
        assertTrue(refusal.contains("sees no NVIDIA GPU") && refusal.contains("spark.driver.resource.gpu"), refusal);
        GpuCheck.Outcome driverLoaded = GpuCheck.evaluate("driver", missing, List.of(), null, true);
        assertNull(driverLoaded.refusal());
        assertTrue(driverLoaded.warnings().get(0).contains("not checked"));
        assertNotNull(GpuCheck.evaluate("driver", NvidiaSmi.parse(""), List.of(), null, true).refusal(), "nvidia-smi lists no GPU");
    }

    @Test
    void queryRunsTheRealExecutableAndReportsItsFailure(@TempDir Path dir) throws IOException {
        Path smi = script(dir.resolve("nvidia-smi"), "#!/bin/sh\n[ \"$1\" = --query-gpu=index,name,compute_cap ] || exit 9\n"
                + "echo '0, NVIDIA H200, 9.0'\n");
        NvidiaSmi.GpuList p = NvidiaSmi.query(smi.toString());
        assertTrue(p.ok(), String.valueOf(p.error()));
        assertEquals("NVIDIA H200", p.gpus().get(0).name());
        Path failing = script(dir.resolve("failing-smi"), "#!/bin/sh\necho 'NVIDIA-SMI has failed because it could not communicate "
                + "with the NVIDIA driver'\nexit 9\n");
        NvidiaSmi.GpuList f = NvidiaSmi.query(failing.toString());
        assertFalse(f.ok());
        assertTrue(f.error().contains("exit code 9") && f.error().contains("could not communicate"), f.error());
        assertFalse(NvidiaSmi.query(dir.resolve("absent").toString()).ok());
    }

    @Test
    void theCpuBuildHasNoCudaBackendSoTheCheckIsANoOp() {
        assertFalse(GpuCheck.cudaBackendPresent(), "the test classpath is the CPU build");
        GpuCheck.require("driver", List.of()); // does not even look for nvidia-smi
    }

    private static Path script(Path path, String text) throws IOException {
        Files.writeString(path, text);
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
        return path;
    }
}
