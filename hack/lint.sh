#!/usr/bin/env bash
# The C++ and workflow parts of `make lint` (the Makefile runs shellcheck itself):
#   format    clang-format --dry-run -Werror on runtime/**/*.cpp|hpp (.clang-format)
#   tidy      clang-tidy on the runtime (.clang-tidy); reports, fails only with
#             LINT_TIDY_STRICT=1. Results are cached per file (keyed on the file,
#             the project headers it includes, its compile command and the
#             config), so only changed files are analysed again.
#   workflow  validates .github/workflows/*.yml with @action-validator/cli,
#             installed from npm into $LINT_DIR/tools on first use.
#
# Usage: hack/lint.sh [format|tidy|workflow]...   (default: all three)
# Environment:
#   LINT_DIR          compile database, tools and caches (default: <repo>/build-lint)
#   LINT_TIDY         0 = skip clang-tidy
#   LINT_TIDY_STRICT  1 = clang-tidy warnings fail the lint
#   CLANG_FORMAT, CLANG_TIDY   tool names (default: clang-format, clang-tidy)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LINT_DIR=${LINT_DIR:-$REPO/build-lint}
LINT_TIDY=${LINT_TIDY:-1}
LINT_TIDY_STRICT=${LINT_TIDY_STRICT:-0}
CLANG_FORMAT=${CLANG_FORMAT:-clang-format}
CLANG_TIDY=${CLANG_TIDY:-clang-tidy}
ACTION_VALIDATOR_VERSION=0.6.0
TOOLS=$LINT_DIR/tools

log() { echo "lint: $*" >&2; }
die() { log "error: $*"; exit 1; }

need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 is not installed (Debian/Ubuntu: apt-get install $2)"
}

cxx_sources() {
  find "$REPO/runtime" \( -name '*.cpp' -o -name '*.hpp' \) -type f -print | LC_ALL=C sort
}

lint_format() {
  need "$CLANG_FORMAT" clang-format
  local files=() bad=() f
  mapfile -t files < <(cxx_sources)
  for f in "${files[@]}"; do
    "$CLANG_FORMAT" --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("${f#"$REPO"/}")
  done
  if [[ ${#bad[@]} -gt 0 ]]; then
    # Show the first few diagnostics, then the list and the fix.
    (cd "$REPO" && "$CLANG_FORMAT" --dry-run -Werror "${bad[@]}" 2>&1 | head -n 40) >&2 || true
    log "clang-format: ${#bad[@]} of ${#files[@]} files need formatting:"
    printf '  %s\n' "${bad[@]}" >&2
    log "fix with: clang-format -i ${bad[*]}"
    return 1
  fi
  log "clang-format: ${#files[@]} files ok"
}

# Project headers FILE includes ("..."), recursively, resolved against the
# including file's directory and runtime/src.
declare -A SEEN=()
project_includes() {
  local file=$1 dir inc cand
  dir=$(dirname "$file")
  while IFS= read -r inc; do
    for cand in "$dir/$inc" "$REPO/runtime/src/$inc"; do
      if [[ -f "$cand" ]]; then
        cand=$(realpath "$cand")
        if [[ -z "${SEEN[$cand]:-}" ]]; then
          SEEN[$cand]=1
          echo "$cand"
          project_includes "$cand"
        fi
        break
      fi
    done
  done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file")
}

# tidy_one FILE: analyse one file, or print the cached result.
tidy_one() {
  local file=$1 key out tmp rc=0
  local db=$LINT_DIR/compile_commands.json
  key=$(
    {
      "$CLANG_TIDY" --version
      cat "$REPO/.clang-tidy"
      jq -c --arg f "$file" '.[] | select(.file == $f) | .command // .arguments' "$db"
      cat "$file"
      project_includes "$file" | LC_ALL=C sort | while IFS= read -r h; do echo "== $h"; cat "$h"; done
    } | sha256sum | cut -c1-32
  )
  out=$LINT_DIR/tidy-cache/$key
  if [[ ! -f "$out" ]]; then
    tmp=$(mktemp "$out.XXXXXX")
    "$CLANG_TIDY" -p "$LINT_DIR" --quiet "$file" >"$tmp" 2>&1 || rc=$?
    # A crash or a compiler error (exit status != 0) is not cached: it may
    # come from the environment (a missing header).
    if [[ $rc -eq 0 ]]; then
      mv "$tmp" "$out"
    else
      cat "$tmp"
      echo "clang-tidy: $file: exit status $rc"
      rm -f "$tmp"
      return 0
    fi
  fi
  cat "$out"
}

lint_tidy() {
  if [[ "$LINT_TIDY" == 0 ]]; then
    log "clang-tidy: skipped (LINT_TIDY=0)"
    return 0
  fi
  need "$CLANG_TIDY" clang-tidy
  need jq jq
  need cmake cmake
  local db=$LINT_DIR/compile_commands.json files=() report start
  start=$SECONDS
  # Configure only: clang-tidy needs the compile database, not a build.
  if [[ ! -f "$db" ]] || [[ -n "$(find "$REPO/runtime" -name CMakeLists.txt -newer "$db" -print -quit)" ]]; then
    cmake -S "$REPO/runtime" -B "$LINT_DIR" -DCMAKE_BUILD_TYPE=Debug >"$LINT_DIR.cmake.log" 2>&1 ||
      { cat "$LINT_DIR.cmake.log" >&2; die "cmake configure of $LINT_DIR failed"; }
    rm -f "$LINT_DIR.cmake.log"
  fi
  [[ -f "$db" ]] || die "no $db (CMAKE_EXPORT_COMPILE_COMMANDS is off?)"
  mkdir -p "$LINT_DIR/tidy-cache"
  mapfile -t files < <(jq -r --arg r "$REPO/runtime/" '.[].file | select(startswith($r))' "$db" | LC_ALL=C sort -u)
  report=$LINT_DIR/clang-tidy.txt
  printf '%s\n' "${files[@]}" |
    xargs -r -P "$(nproc)" -I{} "$0" _tidy_one {} >"$report.raw"
  # A header's findings show up once per file that includes it: keep one copy.
  # Drop the compiler's "N warnings generated." lines (system headers).
  awk '/^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$/ { next }
       /^\/.*: (warning|error): / { keep = !seen[$0]++ }
       keep' "$report.raw" >"$report"
  rm -f "$report.raw"
  local warnings errors
  warnings=$(grep -c ': warning: ' "$report" || true)
  errors=$(grep -cE ': error: |^clang-tidy: .*exit status' "$report" || true)
  if [[ $warnings -gt 0 || $errors -gt 0 ]]; then
    sed "s|$REPO/||" "$report" >&2
  fi
  log "clang-tidy: ${#files[@]} files, $warnings warnings, $errors errors in $((SECONDS - start))s (report: ${report#"$REPO"/})"
  if [[ "$LINT_TIDY_STRICT" == 1 && $((warnings + errors)) -gt 0 ]]; then
    return 1
  fi
  [[ $warnings -eq 0 && $errors -eq 0 ]] || log "clang-tidy findings are reported, not fatal (LINT_TIDY_STRICT=1 makes them fatal)"
}

lint_workflow() {
  local validator=$TOOLS/node_modules/.bin/action-validator files=() f rc=0
  mapfile -t files < <(find "$REPO/.github/workflows" -maxdepth 1 -type f \( -name '*.yml' -o -name '*.yaml' \) 2>/dev/null | LC_ALL=C sort)
  if [[ ${#files[@]} -eq 0 ]]; then
    log "workflow: no files in .github/workflows"
    return 0
  fi
  if [[ ! -x "$validator" ]]; then
    need npm npm
    need node nodejs
    log "installing @action-validator/cli@$ACTION_VALIDATOR_VERSION into ${TOOLS#"$REPO"/}"
    mkdir -p "$TOOLS"
    npm install --prefix "$TOOLS" --no-save --no-audit --no-fund --loglevel=error \
      "@action-validator/cli@$ACTION_VALIDATOR_VERSION" "@action-validator/core@$ACTION_VALIDATOR_VERSION" >&2 ||
      die "npm install of @action-validator/cli failed"
  fi
  for f in "${files[@]}"; do
    if (cd "$REPO" && "$validator" "${f#"$REPO"/}"); then
      log "workflow: ${f#"$REPO"/} ok"
    else
      log "workflow: ${f#"$REPO"/} is invalid"
      rc=1
    fi
  done
  return "$rc"
}

if [[ "${1:-}" == _tidy_one ]]; then
  tidy_one "$2"
  exit 0
fi

parts=("$@")
[[ ${#parts[@]} -gt 0 ]] || parts=(format tidy workflow)
mkdir -p "$LINT_DIR"
failed=()
for p in "${parts[@]}"; do
  case "$p" in
    format) lint_format || failed+=(clang-format) ;;
    tidy) lint_tidy || failed+=(clang-tidy) ;;
    workflow) lint_workflow || failed+=(workflow) ;;
    *) die "unknown part '$p' (format, tidy, workflow)" ;;
  esac
done
if [[ ${#failed[@]} -gt 0 ]]; then
  log "failed: ${failed[*]}"
  exit 1
fi
