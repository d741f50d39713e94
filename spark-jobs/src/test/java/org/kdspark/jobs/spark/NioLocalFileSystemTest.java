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
    void listingsCarryTheFilesOwnersAndPermissionsAsJavaNioReadsThem() throws IOException {
        Configuration conf = new Configuration();
        conf.set(NioLocalFileSystem.IMPL_KEY, NioLocalFileSystem.class.getName());
        conf.setBoolean("fs.file.impl.disable.cache", true);
        Files.createDirectories(dir.resolve("c/d"));
        Files.writeString(dir.resolve("c/one.txt"), "1");
        Files.writeString(dir.resolve("c/d/two.txt"), "22");
        Files.setPosixFilePermissions(dir.resolve("c/d/two.txt"), PosixFilePermissions.fromString("rw-r-x--x"));
        try (FileSystem fs = FileSystem.get(dir.toUri(), conf)) {
            java.util.Map<String, org.apache.hadoop.fs.LocatedFileStatus> found = new java.util.TreeMap<>();
            org.apache.hadoop.fs.RemoteIterator<org.apache.hadoop.fs.LocatedFileStatus> it = fs.listFiles(new Path(dir.resolve("c").toUri()), true);
            while (it.hasNext()) {
                org.apache.hadoop.fs.LocatedFileStatus s = it.next();
                found.put(s.getPath().getName(), s);
            }
            assertEquals(java.util.Set.of("one.txt", "two.txt"), found.keySet());
            assertEquals(2, found.get("two.txt").getLen());
            assertEquals(Files.getLastModifiedTime(dir.resolve("c/d/two.txt")).toMillis(), found.get("two.txt").getModificationTime());
            assertEquals("rw-r-x--x", PosixFilePermissions.toString(NioLocalFileSystem.posix(found.get("two.txt").getPermission())));
            assertEquals(Files.getOwner(dir.resolve("c/one.txt")).getName(), found.get("one.txt").getOwner());
            org.apache.hadoop.fs.FileStatus d = fs.getFileStatus(new Path(dir.resolve("c/d").toUri()));
            assertTrue(d.isDirectory());
            assertEquals(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("c/d"))),
                    PosixFilePermissions.toString(NioLocalFileSystem.posix(d.getPermission())));
        }
    }

    @Test
    void theStickyBitHasNoJavaNioFormAndIsDropped() {
        assertEquals("rwxrwxrwx", PosixFilePermissions.toString(NioLocalFileSystem.posix(new FsPermission((short) 01777))));
        assertEquals("---------", PosixFilePermissions.toString(NioLocalFileSystem.posix(new FsPermission((short) 0))));
    }
}
