#!/usr/bin/env bash
# submit.sh: run one kd job on a cluster through spark-submit.
#
#   deploy/submit.sh TARGET JOB CONFIG [kd options...]
#
#   TARGET  yarn-cluster | yarn-client | k8s | local
#   JOB     a kd subcommand: soft-labels, distill, pipeline, retrain (also ingest, train-teacher, evaluate, config)
#   CONFIG  the job config (YAML), e.g. conf/fashion-mnist.yaml. It is shipped with --files and --config points
#           at the shipped copy. On k8s a path inside the image may be given as local:///opt/kd/conf/NAME.yaml.
#   kd options are passed to the job, e.g. --output hdfs:///kd/runs/2026-11-22 --set distill.epochs=4
#
# The named variants (yarn-cluster.sh, yarn-client.sh, k8s.sh and their -gpu forms) only fix TARGET and GPUs.
#
# Environment (all optional unless marked):
#   SPARK_SUBMIT           spark-submit to run; default $SPARK_HOME/bin/spark-submit, else spark-submit on PATH
#   KD_JAR                 the thin application jar; default lib/kd-cluster.jar (image layout), else
#                          spark-jobs/target/spark-jobs-*-cluster.jar (build with ./mvnw -Pcluster-jar package)
#   KD_JVM_ARGS_FILE       JVM flags for driver and executors; default lib/jvm.args (image), else
#                          spark-jobs/target/launcher/jvm.args (written by the build from the POM property kd.jvm.flags)
#   KD_SPARK_DEFAULTS      Spark properties file; default conf/spark-defaults-yarn.conf or conf/spark-defaults-k8s.conf
#   KD_GPUS                GPUs per executor (default 0: CPU). Needs the CUDA jar/image; see deploy/README.md
#   KD_GPUS_PER_TASK       GPUs per task (default 1: one training task per GPU)
#   KD_DRIVER_GPUS         GPUs of the driver when KD_GPUS > 0 (default 1: ND4J's CUDA backend needs one in every JVM)
#   KD_JAVACPP_CACHE       where JavaCPP unpacks the ND4J natives on each node (default /tmp/kd-javacpp)
#   KD_QUEUE               YARN queue
#   KD_CREDENTIAL_PROVIDER Hadoop credential provider path, e.g. jceks://hdfs@nn/user/kd/s3.jceks (S3 keys)
#   KD_MASTER              master for TARGET local (default local[*])
#   KD_K8S_MASTER          k8s only, required: k8s://https://API-SERVER:443
#   KD_IMAGE               k8s only, required: the kd image (deploy/docker/Dockerfile)
#   KD_NAMESPACE           k8s namespace (default kd); KD_SERVICE_ACCOUNT (default kd-spark, deploy/k8s/rbac.yaml)
#   KD_K8S_UPLOAD_PATH     k8s: Hadoop URI where spark-submit uploads a local CONFIG (spark.kubernetes.file.upload.path)
#   KD_K8S_S3_SECRET       k8s: name of a Secret with keys access-key and secret-key, exposed to driver and
#                          executors as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (S3A reads them from the environment)
#   KD_SUBMIT_OPTS         extra spark-submit options, split on spaces (e.g. "--num-executors 8")
#   KD_DRY_RUN=1           print the spark-submit command instead of running it
#
# Credentials never appear on this command line: S3/HDFS secrets come from a Hadoop credential provider, the
# environment, Kerberos, or a Kubernetes Secret.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
  exit 2
}

die() {
  echo "submit.sh: $*" >&2
  exit 2
}

[[ $# -ge 3 ]] || usage
TARGET="$1"
JOB="$2"
CONFIG="$3"
shift 3

case "$TARGET" in
  yarn-cluster | yarn-client | k8s | local) ;;
  *) die "unknown target '$TARGET' (allowed: yarn-cluster, yarn-client, k8s, local)" ;;
esac
[[ "$JOB" =~ ^[a-z][a-z-]*$ ]] || die "JOB must be a kd subcommand such as soft-labels, distill or pipeline, not '$JOB'"

# --- what to run ------------------------------------------------------------------------------------------
if [[ -n "${SPARK_SUBMIT:-}" ]]; then
  submit_cmd="$SPARK_SUBMIT"
elif [[ -n "${SPARK_HOME:-}" ]]; then
  submit_cmd="$SPARK_HOME/bin/spark-submit"
else
  submit_cmd="spark-submit"
fi

first_existing() {
  local f
  for f in "$@"; do
    if [[ -f "$f" ]]; then
      echo "$f"
      return 0
    fi
  done
  return 1
}

flags_file="${KD_JVM_ARGS_FILE:-$(first_existing "$ROOT/lib/jvm.args" "$ROOT/spark-jobs/target/launcher/jvm.args" || true)}"
[[ -n "$flags_file" && -f "$flags_file" ]] \
  || die "JVM flags file not found (spark-jobs/target/launcher/jvm.args): build with ./mvnw -Pcluster-jar -DskipTests package, or set KD_JVM_ARGS_FILE"
jvm_flags="$(tr '\n' ' ' < "$flags_file" | sed -e 's/  */ /g' -e 's/ $//')"

gpus="${KD_GPUS:-0}"
[[ "$gpus" =~ ^[0-9]+$ ]] || die "KD_GPUS must be a whole number, not '$gpus'"

if [[ "$TARGET" == k8s ]]; then
  # the jar is inside the image; nothing of it is needed on the submitting machine
  app_jar="${KD_IMAGE_JAR:-local:///opt/kd/lib/kd-cluster.jar}"
else
  classifier="cluster"
  [[ "$gpus" -gt 0 ]] && classifier="cluster-cuda"
  # shellcheck disable=SC2206  # the glob is meant to expand: the version is in the file name
  built=("$ROOT"/spark-jobs/target/spark-jobs-*-"$classifier".jar)
  app_jar="${KD_JAR:-$(first_existing "$ROOT/lib/kd-cluster.jar" "${built[@]}" || true)}"
  [[ -n "$app_jar" && -f "$app_jar" ]] \
    || die "application jar not found: build it with ./mvnw -Pcluster-jar$([[ "$gpus" -gt 0 ]] && echo ,cuda) -DskipTests package, or set KD_JAR"
fi

# --- the job config and logging: shipped with --files, referred to where the JVM will find them ----------------
files=()
log4j_local="$ROOT/conf/log4j2-cluster.properties"
case "$TARGET" in
  k8s)
    if [[ "$CONFIG" == local://* ]]; then
      config_arg="${CONFIG#local://}"
    else
      [[ -f "$CONFIG" ]] || die "config file not found: $CONFIG"
      [[ -n "${KD_K8S_UPLOAD_PATH:-}" ]] \
        || die "on k8s a local config needs KD_K8S_UPLOAD_PATH (e.g. s3a://bucket/kd/upload), or give a config inside the image as local:///opt/kd/conf/NAME.yaml"
      files+=("$(cd "$(dirname "$CONFIG")" && pwd)/$(basename "$CONFIG")")
      config_arg="$(basename "$CONFIG")" # the driver pod downloads --files into its working directory
    fi
    log4j_driver="/opt/kd/conf/log4j2-cluster.properties"
    log4j_executor="$log4j_driver"
    ;;
  *)
    [[ -f "$CONFIG" ]] || die "config file not found: $CONFIG"
    config_abs="$(cd "$(dirname "$CONFIG")" && pwd)/$(basename "$CONFIG")"
    files+=("$config_abs" "$log4j_local")
    log4j_executor="log4j2-cluster.properties" # YARN puts --files in each container's working directory
    if [[ "$TARGET" == yarn-cluster ]]; then
      config_arg="$(basename "$CONFIG")"
      log4j_driver="log4j2-cluster.properties"
    else
      config_arg="$config_abs" # the driver is this machine
      log4j_driver="$log4j_local"
    fi
    [[ "$TARGET" == local ]] && log4j_executor="$log4j_local"
    ;;
esac

javacpp_cache="${KD_JAVACPP_CACHE:-/tmp/kd-javacpp}"
driver_opts="$jvm_flags -Dlog4j2.configurationFile=$log4j_driver -Dorg.bytedeco.javacpp.cachedir=$javacpp_cache"
executor_opts="$jvm_flags -Dlog4j2.configurationFile=$log4j_executor -Dorg.bytedeco.javacpp.cachedir=$javacpp_cache"

# --- spark-submit options per target ------------------------------------------------------------------------
opts=(--name "kd-$JOB" --class org.kdspark.jobs.cli.KdCli)
defaults=""
case "$TARGET" in
  yarn-cluster | yarn-client)
    [[ -n "${HADOOP_CONF_DIR:-}${YARN_CONF_DIR:-}" ]] || die "set HADOOP_CONF_DIR (or YARN_CONF_DIR) to the cluster's client configuration"
    opts+=(--master yarn --deploy-mode "${TARGET#yarn-}")
    defaults="${KD_SPARK_DEFAULTS:-$ROOT/conf/spark-defaults-yarn.conf}"
    [[ -n "${KD_QUEUE:-}" ]] && opts+=(--queue "$KD_QUEUE")
    # in client mode the application master is a JVM of its own; it logs like the executors
    [[ "$TARGET" == yarn-client ]] && opts+=(--conf "spark.yarn.am.extraJavaOptions=-Dlog4j2.configurationFile=log4j2-cluster.properties")
    ;;
  k8s)
    [[ "${KD_K8S_MASTER:-}" == k8s://* ]] || die "set KD_K8S_MASTER to the API server as k8s://https://HOST:PORT"
    [[ -n "${KD_IMAGE:-}" ]] || die "set KD_IMAGE to the kd image (see deploy/docker/)"
    opts+=(--master "$KD_K8S_MASTER" --deploy-mode cluster
      --conf "spark.kubernetes.container.image=$KD_IMAGE"
      --conf "spark.kubernetes.namespace=${KD_NAMESPACE:-kd}"
      --conf "spark.kubernetes.authenticate.driver.serviceAccountName=${KD_SERVICE_ACCOUNT:-kd-spark}"
      --conf "spark.kubernetes.driver.podTemplateFile=$ROOT/deploy/k8s/pod-template.yaml"
      --conf "spark.kubernetes.executor.podTemplateFile=$ROOT/deploy/k8s/pod-template.yaml")
    defaults="${KD_SPARK_DEFAULTS:-$ROOT/conf/spark-defaults-k8s.conf}"
    [[ -n "${KD_K8S_UPLOAD_PATH:-}" ]] && opts+=(--conf "spark.kubernetes.file.upload.path=$KD_K8S_UPLOAD_PATH")
    if [[ -n "${KD_K8S_S3_SECRET:-}" ]]; then
      for role in driver executor; do
        opts+=(--conf "spark.kubernetes.$role.secretKeyRef.AWS_ACCESS_KEY_ID=$KD_K8S_S3_SECRET:access-key"
          --conf "spark.kubernetes.$role.secretKeyRef.AWS_SECRET_ACCESS_KEY=$KD_K8S_S3_SECRET:secret-key")
      done
    fi
    ;;
  local)
    opts+=(--master "${KD_MASTER:-local[*]}")
    defaults="${KD_SPARK_DEFAULTS:-}"
    ;;
esac
if [[ -n "$defaults" ]]; then
  [[ -f "$defaults" ]] || die "Spark defaults file not found: $defaults"
  opts+=(--properties-file "$defaults")
fi

if [[ "$gpus" -gt 0 ]]; then
  # The CUDA build runs ND4J in the driver as well (teacher training, evaluation after each epoch), and ND4J's CUDA
  # backend cannot start without a GPU: the driver gets KD_DRIVER_GPUS (default 1) of its own.
  driver_gpus="${KD_DRIVER_GPUS:-1}"
  [[ "$driver_gpus" =~ ^[0-9]+$ ]] || die "KD_DRIVER_GPUS must be a whole number, not '$driver_gpus'"
  opts+=(--conf "spark.executor.resource.gpu.amount=$gpus"
    --conf "spark.task.resource.gpu.amount=${KD_GPUS_PER_TASK:-1}")
  case "$TARGET" in
    k8s)
      executor_script="/opt/kd/deploy/gpu/getGpusResources.sh"
      driver_script="$executor_script"
      opts+=(--conf "spark.executor.resource.gpu.vendor=nvidia.com")
      [[ "$driver_gpus" -gt 0 ]] && opts+=(--conf "spark.driver.resource.gpu.vendor=nvidia.com")
      ;;
    yarn-cluster)
      files+=("$ROOT/deploy/gpu/getGpusResources.sh")
      executor_script="./getGpusResources.sh"
      driver_script="./getGpusResources.sh" # the driver runs in the application master's container, with the --files
      ;;
    *)
      files+=("$ROOT/deploy/gpu/getGpusResources.sh")
      executor_script="./getGpusResources.sh"
      driver_script="$ROOT/deploy/gpu/getGpusResources.sh" # client mode: the driver is this machine
      ;;
  esac
  opts+=(--conf "spark.executor.resource.gpu.discoveryScript=$executor_script")
  if [[ "$driver_gpus" -gt 0 ]]; then
    opts+=(--conf "spark.driver.resource.gpu.amount=$driver_gpus"
      --conf "spark.driver.resource.gpu.discoveryScript=$driver_script")
  fi
fi

if [[ -n "${KD_CREDENTIAL_PROVIDER:-}" ]]; then
  opts+=(--conf "spark.hadoop.hadoop.security.credential.provider.path=$KD_CREDENTIAL_PROVIDER")
fi

opts+=(--conf "spark.driver.extraJavaOptions=$driver_opts"
  --conf "spark.executor.extraJavaOptions=$executor_opts")
if [[ ${#files[@]} -gt 0 ]]; then
  opts+=(--files "$(IFS=,; echo "${files[*]}")")
fi
if [[ -n "${KD_SUBMIT_OPTS:-}" ]]; then
  read -r -a extra <<< "$KD_SUBMIT_OPTS"
  opts+=("${extra[@]}")
fi

cmd=("$submit_cmd" "${opts[@]}" "$app_jar" "$JOB" --config "$config_arg" "$@")
if [[ "${KD_DRY_RUN:-0}" == 1 ]]; then
  printf '%q ' "${cmd[@]}"
  echo
  exit 0
fi
echo "submit.sh: kd $JOB on $TARGET with $(basename "$CONFIG")$([[ "$gpus" -gt 0 ]] && echo ", $gpus GPU(s) per executor")" >&2
exec "${cmd[@]}"
