#!/bin/sh
# `make browser` (a step of `make test`): headless Chromium and a CJK font for the status page test in a browser
# (tests/serve/test_status_page.py), Debian's packages, installed when we run as root where apt is.
# Another job holding apt's locks (an unattended upgrade, another build on a shared machine) is waited for, up to
# APT_LOCK_WAIT seconds (default 600), instead of stopping the run: dpkg's lock by apt itself (DPkg::Lock::Timeout);
# the package lists' lock, which `apt-get update` takes and that option does not cover (apt 2.6), by trying again.
set -u
wait_s=${APT_LOCK_WAIT:-600}
if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi wqy; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "note: install chromium and fonts-wqy-zenhei to run the status page test in a browser"
	exit 0
fi
echo "browser: installing chromium and fonts-wqy-zenhei (Debian) for the status page test in a browser;" \
	"waiting up to ${wait_s}s for apt's locks if another job holds them"
waited=0
until out=$(apt-get -o DPkg::Lock::Timeout="$wait_s" update -qq 2>&1); do
	case $out in
	*"Could not get lock"*) [ "$waited" -lt "$wait_s" ] || { echo "$out" >&2; exit 1; } ;;
	*) echo "$out" >&2; exit 1 ;;
	esac
	sleep 5
	waited=$((waited + 5))
done
DEBIAN_FRONTEND=noninteractive exec apt-get -o DPkg::Lock::Timeout="$wait_s" install -y -qq chromium fonts-wqy-zenhei \
	>/dev/null
