#!/bin/bash
# Submits a cardsea sweep as a Slurm job array of SHARDS tasks and its merge
# as a job that runs once they have all succeeded:
#   deploy/slurm/submit.sh sweep.yaml [SHARDS [SBATCH-OPTION ...]]
# Options after SHARDS go to both sbatch calls and override the #SBATCH
# lines: a partition, an account, a time limit, or --cpus-per-task for
# nodes smaller than sweep.sbatch's 8 CPUs (a task asking for more CPUs
# than any node has pends for ever with reason PartitionConfig).
# SCENARIO, OUT and CARDSEA are passed to the jobs; relative paths are
# taken from the directory you submit from, where the logs go too.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
scenario=${1:?usage: submit.sh SCENARIO.yaml [SHARDS [SBATCH-OPTION ...]]}
shards=${2:-16}
shift $(($# < 2 ? $# : 2))
case $shards in '' | *[!0-9]* | 0) echo "submit.sh: SHARDS must be a whole number of 1 or more, not '$shards'" >&2; exit 2 ;; esac
export SCENARIO=$scenario SHARDS=$shards
array=$(sbatch --parsable --array="0-$((shards - 1))" --export=ALL "$@" "$here/sweep.sbatch")
array=${array%%;*}
merge=$(sbatch --parsable --dependency="afterok:$array" --export=ALL "$@" "$here/merge.sbatch")
merge=${merge%%;*}
echo "submit.sh: sweep array job $array ($shards tasks), merge job $merge once they all succeed"
