#!/usr/bin/env bash
# yarn-cluster.sh JOB CONFIG [kd options...]: kd JOB on YARN in cluster mode, the driver in the application master (see submit.sh for the environment it reads).
#   e.g. deploy/yarn-cluster.sh pipeline conf/fashion-mnist.yaml --output hdfs:///user/kd/runs/fashion-mnist
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/submit.sh" yarn-cluster "$@"
