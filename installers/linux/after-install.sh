#!/bin/bash
# deb post-install for 互认助手: electron-builder's default steps (its
# after-install.tpl is replaced by this file), the udev rules, and the
# browsers' managed policy for the trusted mall origins.
#
# electron-builder fills in the letters-only ${…} macros of this file at build
# time (and refuses unknown ones), so shell variables here are written $name.
#
# DESTDIR (default empty) is the root the files are written under; with it set
# only files are written (tests run this script against a temporary root), the
# steps that act on the running system are skipped.
#
# Trusted mall origins, first match wins (as in installers/installer.nsh):
#   1. CA_TRUSTED_ORIGINS in the environment of the install (comma-separated)
#   2. the build-time define in installers/origins.nsh, shipped as resources/linux/origins.nsh
#   3. the origins recorded by a previous installation (/etc/ca-assistant/trusted-origins)

root="${DESTDIR:-}"
app="/opt/${sanitizedProductName}"

if [ -z "$root" ]; then
    if type update-alternatives >/dev/null 2>&1; then
        if [ -L '/usr/bin/${executable}' -a -e '/usr/bin/${executable}' -a "`readlink '/usr/bin/${executable}'`" != '/etc/alternatives/${executable}' ]; then
            rm -f '/usr/bin/${executable}'
        fi
        update-alternatives --install '/usr/bin/${executable}' '${executable}' '/opt/${sanitizedProductName}/${executable}' 100 || ln -sf '/opt/${sanitizedProductName}/${executable}' '/usr/bin/${executable}'
    else
        ln -sf '/opt/${sanitizedProductName}/${executable}' '/usr/bin/${executable}'
    fi

    # SUID chrome-sandbox only where user namespaces do not work.
    if ! { [[ -L /proc/self/ns/user ]] && unshare --user true; }; then
        chmod 4755 '/opt/${sanitizedProductName}/chrome-sandbox' || true
    else
        chmod 0755 '/opt/${sanitizedProductName}/chrome-sandbox' || true
    fi

    if hash update-mime-database 2>/dev/null; then
        update-mime-database /usr/share/mime || true
    fi
    if hash update-desktop-database 2>/dev/null; then
        update-desktop-database /usr/share/applications || true
    fi

    # The CA keys' udev rules (/lib/udev/rules.d/60-ca-assistant.rules): apply to keys already plugged in.
    if hash udevadm 2>/dev/null; then
        udevadm control --reload-rules || true
        udevadm trigger --subsystem-match=usb --action=change || true
        udevadm trigger --subsystem-match=hidraw --action=change || true
    fi
fi

# ---- trusted mall origins → machine config and browser policies
# Managed policy folders of Chromium, Google Chrome and Microsoft Edge; the file name is ours alone.
policy_dirs="/etc/chromium/policies/managed /etc/opt/chrome/policies/managed /etc/opt/edge/policies/managed"
policy_file="ca-assistant.json"
record="$root/etc/ca-assistant/trusted-origins"

origins="${CA_TRUSTED_ORIGINS:-}"
if [ -z "$origins" ] && [ -f "$root$app/resources/linux/origins.nsh" ]; then
    origins="$(sed -n 's/^[[:space:]]*!define[[:space:]]\{1,\}CA_TRUSTED_ORIGINS[[:space:]]\{1,\}"\([^"]*\)".*/\1/p' "$root$app/resources/linux/origins.nsh" | head -n 1)"
fi
if [ -z "$origins" ] && [ -f "$record" ]; then
    origins="$(head -n 1 "$record")"
fi

# Exact https://host[:port] (http:// only for loopback), characters that need no JSON escaping.
accepted=()
# One line of comma-separated origins; a line break counts as a separator.
IFS=',' read -r -a candidates <<< "$(printf '%s' "$origins" | tr '\r\n' ',,')"
for origin in "${candidates[@]}"; do
    [ -z "$origin" ] && continue
    if [[ "$origin" =~ ^(https://[A-Za-z0-9.-]+|https://\[[0-9A-Fa-f:]+\]|http://127\.0\.0\.1|http://localhost)(:[0-9]{1,5})?$ ]] && [[ "$origin" != http://* || "$origin" =~ :[0-9]{1,5}$ ]]; then
        seen=0
        for a in "${accepted[@]}"; do [ "$a" = "$origin" ] && seen=1; done
        [ "$seen" = 0 ] && accepted+=("$origin")
    else
        echo "ca-assistant: 忽略无效的商城地址：$origin" >&2
    fi
done

if [ "${#accepted[@]}" -gt 0 ]; then
    list=""
    for a in "${accepted[@]}"; do list="$list${list:+, }\"$a\""; done
    joined="$(IFS=','; echo "${accepted[*]}")"
    mkdir -p "$root/etc/ca-assistant"
    printf '{\n  "trustedOrigins": [%s]\n}\n' "$list" > "$root/etc/ca-assistant/config.json.new"
    chmod 0644 "$root/etc/ca-assistant/config.json.new"
    mv -f "$root/etc/ca-assistant/config.json.new" "$root/etc/ca-assistant/config.json"
    printf '%s\n' "$joined" > "$record"
    for dir in $policy_dirs; do
        mkdir -p "$root$dir"
        printf '{\n  "LocalNetworkAccessAllowedForUrls": [%s],\n  "LoopbackNetworkAllowedForUrls": [%s]\n}\n' "$list" "$list" > "$root$dir/$policy_file.new"
        chmod 0644 "$root$dir/$policy_file.new"
        mv -f "$root$dir/$policy_file.new" "$root$dir/$policy_file"
    done
    echo "ca-assistant: 受信任的商城地址：$joined"
else
    # No origins: no stale grant from an earlier version.
    for dir in $policy_dirs; do rm -f "$root$dir/$policy_file"; done
fi
