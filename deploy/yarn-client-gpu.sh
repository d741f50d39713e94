#!/usr/bin/env bash
# yarn-client-gpu.sh JOB CONFIG [kd options...]: kd JOB on YARN (client mode) with KD_GPUS (default 1) NVIDIA GPUs per executor.
# Needs the CUDA build (./mvnw -Pcluster-jar,cuda package) and GPUs up to Ampere/Ada:
# ND4J's CUDA 11.6 backend does not run on Hopper (H100/H200) or newer. See deploy/README.md.
set -euo pipefail
KD_GPUS="${KD_GPUS:-1}" exec "$(dirname "${BASH_SOURCE[0]}")/submit.sh" yarn-client "$@"
