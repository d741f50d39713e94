package org.kdspark.jobs.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NioLocalFileSystemTest {

    @TempDir
    java.nio.file.Path dir;

    @Test
    void permissionsAreSetAsHadoopAsksAndFilesReadBackChecksummed() throws IOException {
        Configuration conf = new Configuration();
        conf.set(NioLocalFileSystem.IMPL_KEY, NioLocalFileSystem.class.getName());
        conf.setBoolean("fs.file.impl.disable.cache", true);
        try (FileSystem fs = FileSystem.get(dir.toUri(), conf)) {
            assertInstanceOf(NioLocalFileSystem.class, fs);
            Path sub = new Path(dir.resolve("a/b").toUri());
            assertTrue(fs.mkdirs(sub, new FsPermission((short) 0750)));
            assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("a/b"))));

            Path file = new Path(sub, "data.bin");
            try (FSDataOutputStream out = fs.create(file, new FsPermission((short) 0640), true, 4096, (short) 1, 1 << 20, null)) {
                out.write("checksummed".getBytes(StandardCharsets.UTF_8));
            }
            assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("a/b/data.bin"))));
            assertTrue(Files.exists(dir.resolve("a/b/.data.bin.crc")), "the checksum layer is Hadoop's own");
            try (FSDataInputStream in = fs.open(file)) {
                assertEquals("checksummed", new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
            fs.setPermission(file, new FsPermission((short) 0604));
            assertEquals("rw----r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("a/b/data.bin"))));
        }
    }

    @Test
    void theStickyBitHasNoJavaNioFormAndIsDropped() {
        assertEquals("rwxrwxrwx", PosixFilePermissions.toString(NioLocalFileSystem.posix(new FsPermission((short) 01777))));
        assertEquals("---------", PosixFilePermissions.toString(NioLocalFileSystem.posix(new FsPermission((short) 0))));
    }
}
