package org.kdspark.kd.provenance;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/** The code and machine an artifact was produced by: project version and git commit, JVM, OS, DL4J version. */
public final class BuildInfo {

    private static final Properties BUILD = load();

    private BuildInfo() {
    }

    /** Project version and git commit of this build ("unknown" outside a git checkout). */
    public static Map<String, String> code() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("version", version());
        m.put("commit", BUILD.getProperty("git.commit", "unknown"));
        m.put("dirty", BUILD.getProperty("git.dirty", "unknown"));
        return m;
    }

    public static String version() {
        return BUILD.getProperty("version", "unknown");
    }

    public static Map<String, String> environment() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("java", System.getProperty("java.version"));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        m.put("arch", System.getProperty("os.arch"));
        m.put("dl4j", BUILD.getProperty("dl4j.version", "unknown"));
        m.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        return m;
    }

    private static Properties load() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("/kd-build.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // provenance then says "unknown"; never fail a job over it
        }
        return p;
    }
}
