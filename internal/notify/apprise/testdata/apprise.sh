#!/bin/sh
# Stands in for the apprise command: writes its arguments, one per line,
# and the environment variables the test asks about to $RECORD_TO, then
# exits with $EXIT_WITH (0 when unset), or sleeps when $HANG is set.
{
	echo "argc=$#"
	for a in "$@"; do echo "arg=$a"; done
	echo "APPRISE_URLS=$APPRISE_URLS"
	echo "PATH=$PATH"
	echo "SECRET_KEY=${SECRET_KEY-unset}"
	echo "TWILIO_AUTH=${TWILIO_AUTH-unset}"
} > "$RECORD_TO"
if [ -n "$HANG" ]; then sleep 30; fi
exit "${EXIT_WITH:-0}"
