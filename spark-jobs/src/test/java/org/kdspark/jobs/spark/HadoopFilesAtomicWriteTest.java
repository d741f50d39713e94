package org.kdspark.jobs.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HadoopFilesAtomicWriteTest {

    @TempDir
    Path dir;

    @Test
    void aLocalReplacementReadsBackThroughHadoopAndLeavesNoTemporaryOrStaleChecksum() throws IOException {
        HadoopFiles files = new HadoopFiles(new Configuration());
        String uri = dir.resolve("sub/manifest.json").toUri().toString();
        files.writeString(uri, "old"); // through Hadoop's checksummed local file system: leaves .manifest.json.crc
        assertEquals(List.of(".manifest.json.crc", "manifest.json"), names(dir.resolve("sub")));

        files.writeStringAtomically(uri, "{\"new\": \"a longer content than before\"}");
        // a stale checksum would make this read fail
        assertEquals("{\"new\": \"a longer content than before\"}", files.readString(uri));
        assertEquals(List.of("manifest.json"), names(dir.resolve("sub")));

        files.writeStringAtomically(dir.resolve("fresh/dir/sidecar.json").toUri().toString(), "x");
        assertEquals("x", files.readString(dir.resolve("fresh/dir/sidecar.json").toUri().toString()));
    }

    private static List<String> names(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
