package org.kdspark.jobs.spark;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.kdspark.kd.error.UserInputException;
import org.kdspark.kd.provenance.Hashes;

/** Small file operations on any Hadoop file system (file://, hdfs://, s3a://) by URI string. */
public final class HadoopFiles {

    /** Schemes of object stores, where a single write is atomic and a rename is a copy. */
    private static final Set<String> OBJECT_STORES = Set.of("s3a", "s3", "gs", "abfs", "abfss", "wasb", "wasbs", "oss");

    private final Configuration conf;

    public HadoopFiles(Configuration conf) {
        this.conf = conf;
    }

    public FileSystem fs(String uri) {
        try {
            return new Path(uri).getFileSystem(conf);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reach the file system of " + uri, e);
        }
    }

    public boolean exists(String uri) {
        try {
            return fs(uri).exists(new Path(uri));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A fully-qualified form of {@code uri} (relative local paths become absolute file: URIs). */
    /** {@code uri} with its file system's scheme and authority; a string that is no path is refused naming it. */
    public String qualify(String uri) {
        Path p;
        try {
            p = new Path(uri);
        } catch (IllegalArgumentException e) {
            throw new UserInputException("'" + uri + "' is not a path or URI Hadoop can read (" + e.getMessage() + ")", e);
        }
        return fs(uri).makeQualified(p).toString();
    }

    public InputStream open(String uri) throws IOException {
        return fs(uri).open(new Path(uri));
    }

    public OutputStream create(String uri) throws IOException {
        FSDataOutputStream out = fs(uri).create(new Path(uri), true);
        return out;
    }

    public byte[] readBytes(String uri) {
        try (InputStream in = open(uri)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + uri, e);
        }
    }

    public String readString(String uri) {
        return new String(readBytes(uri), StandardCharsets.UTF_8);
    }

    public void writeBytes(String uri, byte[] bytes) {
        try (OutputStream out = create(uri)) {
            out.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + uri, e);
        }
    }

    public void writeString(String uri, String text) {
        writeBytes(uri, text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Replaces {@code uri} so that readers see either the old or the new content, never a partial file or none. On
     * object stores (s3a, gs, abfs) one PUT is already atomic; elsewhere the text goes to a temporary file that is
     * renamed over the target in one step ({@link FileContext#rename} with {@code OVERWRITE}, or an atomic java.nio
     * move on the local file system).
     */
    public void writeStringAtomically(String uri, String text) {
        writeBytesAtomically(uri, text.getBytes(StandardCharsets.UTF_8));
    }

    /** {@link #writeStringAtomically} for bytes. */
    public void writeBytesAtomically(String uri, byte[] bytes) {
        Path target = fs(uri).makeQualified(new Path(uri));
        try {
            if (OBJECT_STORES.contains(target.toUri().getScheme())) {
                writeBytes(uri, bytes);
                return;
            }
            if ("file".equals(target.toUri().getScheme())) {
                writeLocalAtomically(java.nio.file.Paths.get(target.toUri()), bytes);
                return;
            }
            Path tmp = new Path(target.getParent(), "." + target.getName() + "." + java.util.UUID.randomUUID() + ".tmp");
            try (OutputStream out = fs(uri).create(tmp, true)) {
                out.write(bytes);
            }
            FileContext.getFileContext(target.toUri(), conf).rename(tmp, target, Options.Rename.OVERWRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + uri, e);
        }
    }

    /**
     * The local form of {@link #writeStringAtomically}, through java.nio: Hadoop's local file system starts a
     * {@code chmod} process for each file it creates (and its checksum file) and a {@code readlink} process for each
     * rename, 70-150 ms per small file here. A stale Hadoop checksum of the old file is removed first, so that a
     * reader sees the old file, unchecked, or the new one.
     */
    private static void writeLocalAtomically(java.nio.file.Path target, byte[] bytes) throws IOException {
        java.nio.file.Files.createDirectories(target.getParent());
        java.nio.file.Path tmp = target.resolveSibling("." + target.getFileName() + "." + java.util.UUID.randomUUID() + ".tmp");
        java.nio.file.Files.write(tmp, bytes);
        java.nio.file.Files.deleteIfExists(target.resolveSibling("." + target.getFileName() + ".crc"));
        java.nio.file.Files.move(tmp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** Copies the file {@code from} to {@code to} (any file systems), replacing it. */
    public void copy(String from, String to) {
        try {
            Path src = new Path(from);
            Path dst = new Path(to);
            if (!FileUtil.copy(fs(from), src, fs(to), dst, false, true, conf)) {
                throw new IOException("copy returned false");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy " + from + " to " + to, e);
        }
    }

    /** The names of the directories directly under {@code uri}, sorted; empty when it does not exist. */
    public List<String> directories(String uri) {
        try {
            FileSystem fs = fs(uri);
            Path dir = new Path(uri);
            if (!fs.exists(dir)) {
                return List.of();
            }
            return Arrays.stream(fs.listStatus(dir)).filter(FileStatus::isDirectory).map(st -> st.getPath().getName()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + uri, e);
        }
    }

    public void delete(String uri) {
        try {
            fs(uri).delete(new Path(uri), true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + uri, e);
        }
    }

    /** Total size in bytes of the files under {@code uri}. */
    public long size(String uri) {
        try {
            return fs(uri).getContentSummary(new Path(uri)).getLength();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The SHA-256 of the file at {@code uri}, read as a stream. */
    public String sha256(String uri) {
        try (InputStream in = open(uri)) {
            return Hashes.sha256(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + uri, e);
        }
    }
}
