#!/bin/sh
# Stands in for ssh in "xenmig migrate -s": called as "fake-ssh.sh HOST
# COMMAND...", it runs COMMAND here, as ssh would run it on HOST.
shift
exec sh -c "$*"
