#!/usr/bin/env bash
# A one-node Slurm cluster on this machine (slurmctld, slurmd and munged from Debian's slurm-wlm
# and munge, started directly, no systemd) runs the script 'zoo embed --emit slurm' writes: a
# 4-way array job over a Fashion-MNIST subset, then the merge job. Array task 2 is killed with
# scancel while it runs, once it has written its first segment (the array runs one task at a time),
# so the merge job never runs; 'zoo cache status' must name exactly that shard, the script is
# submitted again with the printed --array list, the resubmitted task must compute only what the
# killed one had not written, and after the merge every embedding must equal, bit for bit, those of
# a single 'zoo embed' of the same data. The same shards run as a simulated Kubernetes Indexed Job
# (JOB_COMPLETION_INDEX, ZOO_SHARD_COUNT) must give the same merged cache, and the manifest
# 'zoo embed --emit k8s' writes must pass the batch/v1 Job schema check.
#
#   bash scripts/slurm_test.sh [ZOO_BINARY] [ITEMS]
#
# Needs root (it installs slurm-wlm and munge when missing and runs the daemons as root). State
# lives in /tmp/zoo-slurm-test, wiped at the start; daemons a previous run left are stopped
# first, and every daemon this run starts is stopped on exit. Ports 16817 and 16818.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
zoo=$(realpath "${1:-.build/debug/zoo}")
items=${2:-400}
export SWIFT_BACKTRACE=enable=no
state=/tmp/zoo-slurm-test
started=$(date +%s)
say() { echo "slurm-test: $*"; }

source scripts/apt_packages.sh
install_missing slurm-test --no-install-recommends slurm-wlm munge
python3 -c 'import jsonschema, yaml' 2>/dev/null \
  || python3 -m pip install -q --disable-pip-version-check jsonschema==4.26.0 pyyaml==6.0.3
[ "$(id -u)" -eq 0 ] || { say "run as root: slurmd and munged are started here as root" >&2; exit 77; }

# Daemons a previous run left behind (only those whose pid files are in our state folder).
stop_daemons() {
  # Jobs still running on our cluster first, so no job step outlives slurmd.
  if [ -f "$state/slurm.conf" ] && [ -f "$state/slurmctld.pid" ]; then
    SLURM_CONF="$state/slurm.conf" timeout 10 scancel --quiet --user "$(id -un)" 2>/dev/null || true
  fi
  for name in slurmd slurmctld munged; do
    local pidfile="$state/$name.pid"
    [ -f "$pidfile" ] || continue
    local pid
    pid=$(cat "$pidfile" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
}
stop_daemons
rm -rf "$state"
mkdir -p "$state"/{ctld,spool,munge,work}
chmod 700 "$state"
trap 'stop_daemons' EXIT
trap 'exit 130' INT TERM

host=$(hostname -s)
cpus=$(nproc)
conf="$state/slurm.conf"
export SLURM_CONF="$conf"

# munged with its own key, socket and pid file.
dd if=/dev/urandom of="$state/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$state/munge/munge.key"
munged --force --key-file="$state/munge/munge.key" --socket="$state/munge/munge.socket" \
  --pid-file="$state/munged.pid" --log-file="$state/munge/munged.log" --seed-file="$state/munge/munged.seed"
for _ in $(seq 50); do [ -S "$state/munge/munge.socket" ] && break; sleep 0.1; done

cat > "$conf" <<CONF
ClusterName=zootest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$state/munge/munge.socket
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
MpiDefault=none
ReturnToService=2
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=zoo Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF

slurmctld -D -i -f "$conf" > "$state/slurmctld.out" 2>&1 &
echo $! > "$state/slurmctld.pid"
slurmd -D -f "$conf" > "$state/slurmd.out" 2>&1 &
echo $! > "$state/slurmd.pid"
for _ in $(seq 300); do
  sinfo -h -N -o '%T' 2>/dev/null | grep -Eq '^(idle|mixed)' && break
  sleep 0.2
done
sinfo -h -N -o '%T' | grep -Eq '^(idle|mixed)' || {
  say "the node did not come up" >&2; tail -20 "$state/slurmctld.log" "$state/slurmd.log" >&2; exit 1; }
say "$(sinfo --version) up: node $host ($cpus CPUs), partition zoo"

# The data: the first $items Fashion-MNIST training images, one catalog for the cluster and one
# for the single-process reference, both on the same files.
work="$state/work"
python3 - "$work/fmnist" "$items" <<'PY'
import gzip, os, sys
out, count = sys.argv[1], int(sys.argv[2])
src = "/usr/share/datasets/fashion-mnist"
os.makedirs(out)
images = gzip.open(f"{src}/train-images-idx3-ubyte.gz").read()
labels = gzip.open(f"{src}/train-labels-idx1-ubyte.gz").read()
n = count.to_bytes(4, "big")
open(f"{out}/train-images-idx3-ubyte", "wb").write(images[:4] + n + images[8:16] + images[16:16 + count * 784])
open(f"{out}/train-labels-idx1-ubyte", "wb").write(labels[:4] + n + labels[8:8 + count])
PY
# The 224 px test DINOv2 (random weights, 2 layers): slow enough here (30–45 images/s) that a
# task can be killed halfway.
register() {
  "$zoo" encoder add dino --from Tests/Fixtures/vision/models/dinov2-tiny --home "$1" >/dev/null
  "$zoo" dataset add fm --path "$work/fmnist" --format idx --classnames data/fashion-mnist/classnames.txt \
    --task classification --home "$1" >/dev/null
}
for home in cluster single pods; do register "$work/$home"; done

# The generated script, submitted as a user would; task 2 is killed once it has written a segment.
cd "$work"
"$zoo" embed dino fm --emit slurm --shards 4 --parallel 1 --time 10:00 --partition zoo --cpus 1 \
  --batch 16 --segment-items 16 --home "$work/cluster" --output embed.sbatch
submitted=$(bash embed.sbatch)
echo "$submitted"
array=$(sed -n 's/^submitted array job \([0-9]*\) .*/\1/p' <<<"$submitted")
merge=$(sed -n 's/.* merge job \([0-9]*\)$/\1/p' <<<"$submitted")
[ -n "$array" ] && [ -n "$merge" ] || { say "could not read the job ids" >&2; exit 1; }
for _ in $(seq 1500); do
  compgen -G "$work/cluster/cache/embeddings/image-*/seg-s2of4-*.safetensors" >/dev/null && break
  sleep 0.1
done
[ "$(squeue -h -j "${array}_2" -o %T)" = "RUNNING" ] || { say "task ${array}_2 is not running" >&2; squeue >&2; exit 1; }
scancel "${array}_2"
say "killed array task ${array}_2 while it ran, after its first segment"

# Wait until no job of ours is pending or running (the merge job is cancelled: its dependency
# can never be satisfied).
wait_idle() {
  for _ in $(seq 1500); do
    [ -z "$(squeue -h -o %i)" ] && return 0
    sleep 0.2
  done
  say "jobs still queued after 300 s:" >&2; squeue >&2; return 1
}
wait_idle
kept=$(python3 - "$work"/cluster/cache/embeddings/image-* <<'PY'
import glob, json, struct, sys
total = 0
for path in glob.glob(sys.argv[1] + "/seg-s2of4-*.safetensors"):
    data = open(path, "rb").read()
    size = struct.unpack("<Q", data[:8])[0]
    total += len(json.loads(json.loads(data[8:8 + size])["__metadata__"]["ids"]))
print(total)
PY
)
ls "$work"/cluster/cache/embeddings/image-*/ | grep -q 'done-s2of4' && { say "the killed task left a marker" >&2; exit 1; }
say "the killed task left $kept of its 100 items in finished segments, and no marker"
scontrol show job "$merge" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | head -1 | sed 's/^/merge job: /' || true

"$zoo" cache status dino fm --shards 4 --home "$work/cluster" | tee status-1.txt
status_json=$("$zoo" cache status dino fm --shards 4 --home "$work/cluster" --json)
resubmit=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert r["missing"]==[2], r; assert r["done"]==[0,1,3], r; print(r["resubmit"])' "$status_json")
[ "$resubmit" = "2" ] || { say "status names shards '$resubmit', expected 2" >&2; exit 1; }
if "$zoo" cache merge dino fm --shards 4 --home "$work/cluster" 2> merge-refused.txt; then
  say "merge succeeded with a shard missing" >&2; exit 1
else
  code=$?
  [ "$code" -eq 65 ] || { say "merge with a shard missing exited $code, expected 65" >&2; exit 1; }
  grep -q "shards 2 of 4" merge-refused.txt || { say "merge did not name shard 2" >&2; cat merge-refused.txt >&2; exit 1; }
  say "merge refused (65): $(cat merge-refused.txt)"
fi

# Resubmit exactly what status printed; the merge job runs this time.
bash embed.sbatch "$resubmit" | tee resubmitted.txt
merge=$(sed -n 's/.* merge job \([0-9]*\)$/\1/p' resubmitted.txt)
wait_idle
state_of_merge=$(scontrol show job "$merge" | grep -o 'JobState=[A-Z_]*' | head -1)
[ "$state_of_merge" = "JobState=COMPLETED" ] || { say "merge job $merge: $state_of_merge" >&2; cat zoo-merge-*-"$merge".out >&2 || true; exit 1; }
cat zoo-merge-*-"$merge".out
resumed=$(sed -n 's/.*shard 2\/4 done, 100 items in .* (\([0-9]*\) computed now)$/\1/p' zoo-embed-*_2.out | tail -1)
[ "$resumed" = "$((100 - kept))" ] || { say "the resubmitted task computed '$resumed' items, expected $((100 - kept))" >&2; cat zoo-embed-*_2.out >&2; exit 1; }
say "the resubmitted task computed only the $resumed items the killed one had not written"
"$zoo" cache status dino fm --home "$work/cluster" | tee status-2.txt
grep -q "^complete" status-2.txt

# The reference: one process over all items.
"$zoo" embed dino fm --batch 16 --home "$work/single"

# The same shards as Kubernetes Indexed Job pods would run them.
for index in 0 1 2 3; do
  JOB_COMPLETION_INDEX=$index ZOO_SHARD_COUNT=4 "$zoo" embed dino fm --shard env --batch 16 --segment-items 16 \
    --home "$work/pods" >/dev/null 2>&1
done
"$zoo" cache merge dino fm --home "$work/pods"

python3 - "$work/cluster/cache/embeddings" "$work/single/cache/embeddings" "$work/pods/cache/embeddings" "$items" <<'PY'
import glob, hashlib, json, os, struct, sys

def load(root):
    folders = glob.glob(os.path.join(root, "image-*"))
    assert len(folders) == 1, folders
    rows, files = {}, []
    for path in sorted(glob.glob(os.path.join(folders[0], "seg-*.safetensors"))):
        data = open(path, "rb").read()
        size = struct.unpack("<Q", data[:8])[0]
        header = json.loads(data[8:8 + size])
        ids = json.loads(header["__metadata__"]["ids"])
        pooled = header["pooled"]
        start, end = pooled["data_offsets"]
        body = data[8 + size + start:8 + size + end]
        width = pooled["shape"][1]
        step = width * 4
        for row, item in enumerate(ids):
            rows.setdefault(item, body[row * step:(row + 1) * step])
        files.append(hashlib.sha256(data).hexdigest())
    return os.path.basename(folders[0]), rows, sorted(files)

cluster_name, cluster, cluster_files = load(sys.argv[1])
single_name, single, _ = load(sys.argv[2])
pods_name, pods, pods_files = load(sys.argv[3])
count = int(sys.argv[4])
assert len(single) == count, (len(single), count)
assert cluster.keys() == single.keys(), "the merged cache holds other items than the single run"
different = [item for item in single if cluster[item] != single[item]]
assert not different, f"{len(different)} embeddings differ from the single run, e.g. {different[:3]}"
assert pods == cluster and pods_files == cluster_files, "the simulated Kubernetes run's merged cache differs from the Slurm run's"
print(f"slurm-test: {len(cluster)} embeddings of the Slurm run equal the single run's bit for bit; "
      f"the Kubernetes-index run's merged segment files ({len(pods_files)}) are byte-identical to the Slurm run's")
PY

# The Kubernetes manifest against the batch/v1 Job schema (and a broken one must fail it).
"$zoo" embed dino fm --emit k8s --shards 4 --parallel 2 --cpus 2 --time 2:00:00 --home "$work/cluster" --output embed.yaml
python3 "$repo/scripts/check_k8s_job.py" embed.yaml
sed 's/completionMode: Indexed/completionMode: Sharded/' embed.yaml > broken.yaml
if python3 "$repo/scripts/check_k8s_job.py" broken.yaml >/dev/null 2>&1; then
  say "the schema check accepted completionMode: Sharded" >&2; exit 1
fi

say "passed in $(( $(date +%s) - started )) s"
