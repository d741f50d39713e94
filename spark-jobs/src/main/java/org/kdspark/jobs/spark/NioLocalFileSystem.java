package org.kdspark.jobs.spark;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;

/**
 * Hadoop's checksummed local file system ({@code file://}), setting permissions through java.nio instead of a
 * {@code chmod} process. Without Hadoop's native library, {@link RawLocalFileSystem} starts one process per file or
 * directory it creates (and one more for each file's checksum); a Spark job writing Parquet locally starts dozens
 * per task, which on a 2-core machine cost the soft-label job several tenths of a second. Everything else is
 * Hadoop's. {@link Sessions} installs it as {@code fs.file.impl} for local and local-cluster masters unless the
 * configuration names another (not on YARN, whose application master does not have the application's jar).
 */
public class NioLocalFileSystem extends LocalFileSystem {

    /** The Hadoop setting that names the {@code file://} implementation. */
    public static final String IMPL_KEY = "fs.file.impl";

    public NioLocalFileSystem() {
        super(new Raw());
    }

    /** The raw (unchecksummed) layer with java.nio permissions. */
    static final class Raw extends RawLocalFileSystem {

        @Override
        public void setPermission(Path p, FsPermission permission) throws IOException {
            Files.setPosixFilePermissions(pathToFile(p).toPath(), posix(permission));
        }

        // Hadoop's local statuses read their owner and permissions lazily with one 'stat' process each, which every
        // recursive listing triggers (LocatedFileStatus copies them): 4 ms a file, half a minute for an 8,000-image folder
        @Override
        public FileStatus[] listStatus(Path f) throws IOException {
            FileStatus[] listed = super.listStatus(f);
            FileStatus[] out = new FileStatus[listed.length];
            for (int i = 0; i < listed.length; i++) {
                out[i] = withAttributes(listed[i]);
            }
            return out;
        }

        @Override
        public FileStatus getFileStatus(Path f) throws IOException {
            return withAttributes(super.getFileStatus(f));
        }

        private FileStatus withAttributes(FileStatus s) throws IOException {
            PosixFileAttributes a;
            try {
                a = Files.readAttributes(pathToFile(s.getPath()).toPath(), PosixFileAttributes.class); // followed, as Hadoop follows links here
            } catch (NoSuchFileException e) {
                throw new FileNotFoundException(s.getPath() + " vanished while it was listed");
            } catch (UnsupportedOperationException e) {
                return s; // not a POSIX file system: Hadoop's own way
            }
            return new FileStatus(s.getLen(), s.isDirectory(), s.getReplication(), s.getBlockSize(), s.getModificationTime(),
                    s.getAccessTime(), permission(a.permissions()), a.owner().getName(), a.group().getName(), s.getPath());
        }
    }

    /** The rwx bits of a java.nio permission set. */
    static FsPermission permission(Set<PosixFilePermission> posix) {
        int bits = 0;
        for (PosixFilePermission p : posix) {
            bits |= 1 << (8 - p.ordinal());
        }
        return new FsPermission((short) bits);
    }

    /** The rwx bits of {@code permission} (sticky and other special bits have no java.nio form and are dropped). */
    static Set<PosixFilePermission> posix(FsPermission permission) {
        int bits = permission.toShort();
        PosixFilePermission[] order = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
        Set<PosixFilePermission> out = EnumSet.noneOf(PosixFilePermission.class);
        for (int i = 0; i < order.length; i++) {
            if ((bits & (1 << i)) != 0) {
                out.add(order[i]);
            }
        }
        return out;
    }
}
