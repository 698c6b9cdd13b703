#!/bin/bash
# deb post-remove for 互认助手 (replaces electron-builder's after-remove.tpl).
# dpkg passes the action: remove, purge, upgrade, failed-upgrade, abort-install…
# User data (~/.local/share/ca-assistant) stays.
#
# electron-builder fills in the letters-only ${…} macros of this file at build
# time, so shell variables here are written $name. DESTDIR (default empty) is
# the root the files are removed under; with it set only files are touched.

root="${DESTDIR:-}"
action="${1:-remove}"

case "$action" in
    upgrade|failed-upgrade|abort-upgrade)
        # The new version's post-install rewrites the policies; keep the machine settings.
        exit 0
        ;;
esac

if [ -z "$root" ]; then
    if type update-alternatives >/dev/null 2>&1; then
        update-alternatives --remove '${executable}' '/opt/${sanitizedProductName}/${executable}'
    else
        rm -f '/usr/bin/${executable}'
    fi

    if hash udevadm 2>/dev/null; then
        udevadm control --reload-rules || true
    fi
fi

# The browser policy files written by the post-install (ours alone; other files stay).
for dir in /etc/chromium/policies/managed /etc/opt/chrome/policies/managed /etc/opt/edge/policies/managed; do
    rm -f "$root$dir/ca-assistant.json"
done

# Debian keeps configuration until purge: the machine config and the recorded origins go then.
if [ "$action" = purge ]; then
    rm -f "$root/etc/ca-assistant/config.json" "$root/etc/ca-assistant/trusted-origins"
    rmdir "$root/etc/ca-assistant" 2>/dev/null || true
fi
