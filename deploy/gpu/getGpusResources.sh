#!/usr/bin/env bash
#
# Licensed to the Apache Software Foundation (ASF) under one or more contributor license agreements; see
# https://www.apache.org/licenses/LICENSE-2.0. Adapted from Spark's examples/src/main/scripts/getGpusResources.sh
# (same output; quoting fixed for shellcheck, and a clear error when nvidia-smi is missing).
#
# GPU discovery for spark.{driver,executor}.resource.gpu.discoveryScript: prints the GPUs this container may
# use as {"name": "gpu", "addresses":["0","1"]}. It assumes the container sees only the GPUs allocated to it
# (YARN with GPU isolation, Kubernetes with the NVIDIA device plugin).
set -euo pipefail

if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo "getGpusResources.sh: nvidia-smi not found; is the NVIDIA driver (or the container toolkit) installed?" >&2
  exit 1
fi

addresses="$(nvidia-smi --query-gpu=index --format=csv,noheader | sed -e ':a' -e 'N' -e '$!ba' -e 's/\n/","/g')"
echo "{\"name\": \"gpu\", \"addresses\":[\"${addresses}\"]}"
