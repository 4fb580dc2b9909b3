#!/bin/sh
# Queue the shards as a job array and the merge as a job that starts only
# when every array task has succeeded (afterok on the array's job id).
# SPEC, RESULTS and DATA are passed on to both jobs.
set -eu
cd "$(dirname "$0")"
shards=$(sbatch --parsable --export=ALL ecgrobust-shards.sbatch)
merge=$(sbatch --parsable --export=ALL --dependency=afterok:"$shards" ecgrobust-merge.sbatch)
echo "shards: job $shards (array 0-3); merge: job $merge after all shards succeed"
