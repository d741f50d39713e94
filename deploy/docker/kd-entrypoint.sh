#!/usr/bin/env bash
# Entrypoint of the kd images: every JVM in the container (spark-submit, the driver, the executors) gets kd's JVM
# flags from /opt/kd/lib/jvm.args, which the build writes from the POM property kd.jvm.flags (module opens for
# Spark/Kryo on Java 17, DL4J's system-clock time source), then Spark's own entrypoint runs as usual.
# The java launcher reads JDK_JAVA_OPTIONS and prints one "Picked up JDK_JAVA_OPTIONS" line to stderr.
set -euo pipefail

flags_file="${KD_JVM_ARGS_FILE:-/opt/kd/lib/jvm.args}"
flags="$(tr '\n' ' ' < "$flags_file")"
export JDK_JAVA_OPTIONS="${flags% }${JDK_JAVA_OPTIONS:+ $JDK_JAVA_OPTIONS}"
exec /opt/entrypoint.sh "$@"
