#!/bin/bash
# deb post-remove for 互认助手 (replaces electron-builder's after-remove.tpl).
# User data (~/.local/share/ca-assistant) stays.

if type update-alternatives >/dev/null 2>&1; then
    update-alternatives --remove '${executable}' '/opt/${sanitizedProductName}/${executable}'
else
    rm -f '/usr/bin/${executable}'
fi

if hash udevadm 2>/dev/null; then
    udevadm control --reload-rules || true
fi
