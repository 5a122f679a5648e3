#!/bin/sh
# The users and ACLs of docker-compose.sasl.yml's broker, set at every start (adding what exists
# changes nothing). Runs in the broker's network namespace and talks to its loopback listener LOCAL,
# whose unauthenticated principal is the super user: no other container reaches that listener.
# One SCRAM-SHA-512 user per service, allowed only what that service does, as the KafkaUsers of
# deploy/k8s/overlays/operators/kafka-users.yaml: only the gateway publishes jobs and control
# records, so only its keys and quotas decide what runs; a worker reads its own queue only.
set -eu

bin=/opt/kafka/bin
broker=${BD3_KAFKA_LOCAL:-127.0.0.1:9094}
p=${BD3_TOPIC_PREFIX:-bd3}

# user NAME PASSWORD: the user's SCRAM-SHA-512 credential, set anew
user() {
  [ -n "$2" ] || { echo "no password for $1: set it in .env (see docs/deployment.md)" >&2; exit 1; }
  "$bin/kafka-configs.sh" --bootstrap-server "$broker" --alter --entity-type users \
    --entity-name "$1" --add-config "SCRAM-SHA-512=[password=$2]" >/dev/null
}

# allow PRINCIPALS OPTIONS...: kafka-acls.sh --add for these users (comma-separated names), every
# operation on every resource the options name
allow() {
  principals=""
  for who in $(echo "$1" | tr ',' ' '); do principals="$principals --allow-principal User:$who"; done
  shift
  # shellcheck disable=SC2086 # one option per user
  "$bin/kafka-acls.sh" --bootstrap-server "$broker" --add $principals "$@" >/dev/null
}

user bd3-gateway "${BD3_KAFKA_GATEWAY_PASSWORD:-}"
# each worker pool as TYPE:WORKER, and its user
# generated: worker-users
pools="train:trainer sample:sampler eval:eval"
user bd3-trainer "${BD3_KAFKA_TRAINER_PASSWORD:-}"
user bd3-sampler "${BD3_KAFKA_SAMPLER_PASSWORD:-}"
user bd3-eval "${BD3_KAFKA_EVAL_PASSWORD:-}"
# end generated: worker-users
queues="" groups="" workers=""
for pool in $pools; do
  queues="$queues --topic $p.jobs.${pool%%:*}"
  groups="$groups --group $p-${pool%%:*}-workers"
  workers="$workers${workers:+,}bd3-${pool#*:}"
done

# The gateway: publishes jobs, grants and fences, its own end-of-run events (the outbox); reads
# the events (its group, each instance's live-events group); reads, replays and writes the dead
# letters; creates the topics, sets the queues' rules and reads where each queue starts.
# shellcheck disable=SC2086 # one option per queue or group
allow bd3-gateway --operation Write --operation Create --operation Describe \
  $queues --topic "$p.jobs.control"
allow bd3-gateway --operation Read --operation Write --operation Create --operation Describe \
  --topic "$p.job-events" --topic "$p.jobs.dlq"
allow bd3-gateway --operation Read --group "$p-gateway"
allow bd3-gateway --operation Read --resource-pattern-type prefixed --group "$p-gateway-live-"
# shellcheck disable=SC2086
allow bd3-gateway --operation AlterConfigs --operation Describe $groups

# Each worker: its type's queue as a member of its share group (Create: it makes the topic if the
# gateway has not yet), cancellations in a group of its own, events and dead letters written.
for pool in $pools; do
  type=${pool%%:*}
  allow "bd3-${pool#*:}" --operation Read --operation Create --operation Describe \
    --topic "$p.jobs.$type"
  allow "bd3-${pool#*:}" --operation Read --group "$p-$type-workers"
done
allow "$workers" --operation Read --operation Describe --topic "$p.jobs.control"
allow "$workers" --operation Read --resource-pattern-type prefixed --group bd3-control-
allow "$workers" --operation Write --operation Describe --topic "$p.job-events" --topic "$p.jobs.dlq"
echo "users and ACLs set: bd3-gateway, $workers"
