#!/bin/sh
# Writes its arguments, one per line, then its environment to the file
# named by $RECORD_TO, and exits with $EXIT_WITH (0 when unset).
{
	echo "argc=$#"
	for a in "$@"; do echo "arg=$a"; done
	echo "RECORD_MARK=$RECORD_MARK"
} > "$RECORD_TO"
echo "some output that must not be logged in full: $(printf 'x%.0s' $(seq 1 500))"
exit "${EXIT_WITH:-0}"
