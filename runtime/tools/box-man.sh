#!/usr/bin/env bash
# Writes the box(8) man page to stdout from the binary's own `box --help` and
# `box help COMMAND`, so that the page and --help cannot drift apart (run at build
# time by CMake). Usage: box-man.sh path/to/box
set -euo pipefail

box=$1
help=$("$box" --help)
version=$("$box" --version | sed -n 's/^box version //p')
# "box - a small, fast OCI container runtime"
title=$(sed -n 1p <<<"$help")
mapfile -t commands < <(awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }' <<<"$help")

# Text as roff: backslashes escaped, no line taken for a request.
roff_text() {
  sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/" -e 's/-/\\-/g'
}

# A block of --help output, kept as it is laid out.
preformatted() {
  printf '.PP\n.nf\n'
  roff_text
  printf '.fi\n'
}

printf '.TH BOX 8 "" "box %s" "System Administration"\n' "$version"
printf '.SH NAME\n%s\n' "$(roff_text <<<"$title")"
printf '.SH SYNOPSIS\n.B box\n[global options] COMMAND [options] [ID] ...\n'
printf '.SH DESCRIPTION\n'
printf 'box is an OCI container runtime with the command line of runc 1.1:\n'
printf 'engines (podman, containerd, Docker) call it as they call runc.\n'
printf 'This page is generated from \\fBbox \\-\\-help\\fR and \\fBbox help\\fR \\fICOMMAND\\fR.\n'
printf '.SH COMMANDS\n'
awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print }' <<<"$help" | preformatted
printf '.SH GLOBAL OPTIONS\n'
awk '/^Global options:/ { on = 1; next } on && /^$/ { exit } on { print }' <<<"$help" | preformatted
for cmd in "${commands[@]}"; do
  [[ "$cmd" != help ]] || continue
  printf '.SS %s\n' "$(roff_text <<<"box $cmd")"
  # without the first line ("box CMD - summary"), which the COMMANDS list has
  "$box" help "$cmd" | sed 1,2d | preformatted
done
printf '.SH EXIT STATUS\n'
printf '0 on success; 1 when an operation fails, 2 for a usage error (an unknown command\n'
printf 'or flag, a missing argument). \\fBrun\\fR and \\fBexec\\fR exit with the status of\n'
printf 'the container process (128+N when it was killed by signal N).\n'
printf '.SH SEE ALSO\n.BR runc (8)\n'
