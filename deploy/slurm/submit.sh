#!/bin/bash
# Submits a cardsea sweep as a Slurm job array of SHARDS tasks and its merge
# as a job that runs once they have all succeeded:
#   deploy/slurm/submit.sh sweep.yaml [SHARDS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
scenario=${1:?usage: submit.sh SCENARIO.yaml [SHARDS]}
shards=${2:-16}
array=$(sbatch --parsable --array="0-$((shards - 1))" --export="ALL,SCENARIO=$scenario" "$here/sweep.sbatch")
sbatch --dependency="afterok:${array%%;*}" --export=ALL "$here/merge.sbatch"
