#!/usr/bin/env bash
# yarn-client.sh JOB CONFIG [kd options...]: kd JOB on YARN in client mode, the driver on this machine (see submit.sh for the environment it reads).
#   e.g. deploy/yarn-client.sh pipeline conf/fashion-mnist.yaml --output hdfs:///user/kd/runs/fashion-mnist
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/submit.sh" yarn-client "$@"
