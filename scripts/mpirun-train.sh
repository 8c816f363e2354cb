#!/usr/bin/env bash
# Runs `mpirun ARGUMENTS...` (an MPI training run) so that Ctrl-C or SIGTERM stops every rank
# after the same step with last/ saved, however long a step takes:
#
#   scripts/mpirun-train.sh -np 2 .build-mpi/release/transformer-cli train --threads 1 \
#     --config configs/toy.json
#
# Why: Open MPI 4.1's mpirun, on SIGINT or SIGTERM, sends the ranks SIGCONT, sleeps
# odls_base_sigkill_timeout seconds (1 by default), sends SIGTERM, sleeps again and sends
# SIGKILL: a rank gets about one second to finish its step and save. SIGUSR1, by contrast, it
# passes on to every rank (ess_base_forward_signals) and goes on waiting for them. So mpirun
# runs in a session of its own (the terminal's Ctrl-C reaches this script only), and the first
# SIGINT or SIGTERM becomes SIGUSR1 for mpirun: the ranks agree on a step, rank 0 saves, all
# exit 0, and the script exits 130 (SIGINT) or 143 (SIGTERM) like a one-process run. A second
# signal sends SIGTERM to mpirun, which ends the job within two seconds (last/ stays at the
# previous checkpoint, intact).
set -u

if [ "$#" -eq 0 ]; then
  echo "usage: scripts/mpirun-train.sh MPIRUN-ARGUMENTS... (e.g. -np 2 transformer-cli train --config C)" >&2
  exit 64
fi

setsid mpirun "$@" &
pid=$!
signalled=0

stop() {
  if [ "$signalled" -eq 0 ]; then
    signalled=$1
    kill -USR1 "$pid" 2> /dev/null
  else
    kill -TERM "$pid" 2> /dev/null
  fi
}
trap 'stop 2' INT
trap 'stop 15' TERM

# `wait` returns early (128 + the signal) when a trapped signal arrives; wait again until
# mpirun has ended.
status=0
while kill -0 "$pid" 2> /dev/null; do
  wait "$pid"
  status=$?
done
if [ "$signalled" -ne 0 ] && [ "$status" -eq 0 ]; then status=$((128 + signalled)); fi
exit "$status"
