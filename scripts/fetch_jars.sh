#!/usr/bin/env bash
# Fetches the Spark NLP jar and its runtime dependencies into var/jars/ (or $SPARK_JARS_DIR), so
# that Spark starts with `spark.jars` only and never downloads anything at run time.
#
#   scripts/fetch_jars.sh
#
# Idempotent: when the folder already holds the jars fetched for the current deploy/spark-nlp-pom.xml
# (a stamp file keeps the pom's checksum) nothing is asked of Maven. Maven's own cache (~/.m2) makes
# a refetch cheap. The jars land in a temporary folder first and replace the old folder only once
# Maven succeeded, so a failed fetch never leaves a half-filled folder that looks complete.
# On failure the script prints Maven's error lines and exits with Maven's exit code.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
pom="$root/deploy/spark-nlp-pom.xml"
jars_dir="${SPARK_JARS_DIR:-$root/var/jars}"
stamp="$jars_dir/.pom.sha256"
want=$(sha256sum "$pom" | cut -d' ' -f1)

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
  && compgen -G "$jars_dir/spark-nlp_*.jar" >/dev/null \
  && compgen -G "$jars_dir/tensorflow-core-api-*-linux-x86_64.jar" >/dev/null; then
  echo "Spark NLP jars already in $jars_dir"
  exit 0
fi

mkdir -p "$(dirname "$jars_dir")"
tmp=$(mktemp -d "$(dirname "$jars_dir")/.jars.XXXXXX")
log=$(mktemp)
trap 'rm -rf "$tmp" "$log"' EXIT

# Versions and exclusions live in the pom. Spark itself is "provided" in Spark NLP's pom and the
# pom excludes scala-library, so nothing fetched here replaces pyspark's own Spark or Scala.
status=0
mvn -q -B -f "$pom" dependency:copy-dependencies -DincludeScope=runtime \
  -DoutputDirectory="$tmp" >"$log" 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
  echo "Maven could not fetch the Spark NLP jars:" >&2
  # Keep Maven's own error lines, minus colour codes and its generic "re-run with -e" advice.
  sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^\[ERROR\] +[^ ]' \
    | grep -vE '^\[ERROR\] +(To see the full|Re-run Maven|For more information|\[Help [0-9]+\])' >&2 || cat "$log" >&2
  exit "$status"
fi

echo "$want" >"$tmp/.pom.sha256"
rm -rf "$jars_dir"
mv "$tmp" "$jars_dir"
echo "Fetched $(ls "$jars_dir"/*.jar | wc -l) jars into $jars_dir"
