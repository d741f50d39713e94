#!/usr/bin/env bash
# k8s.sh JOB CONFIG [kd options...]: kd JOB on Kubernetes (see submit.sh for the environment it reads).
#   e.g. deploy/k8s.sh pipeline conf/fashion-mnist.yaml --output s3a://kd/runs/fashion-mnist
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/submit.sh" k8s "$@"
