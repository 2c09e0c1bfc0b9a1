#!/bin/sh
# Runs inside the freshly bootstrapped root (chroot) as the last step of the
# image recipe. Keeps the Debian Postfix configuration as installed and only adds
# what a container without syslog or systemd needs.
set -eu
# No syslog in the container: Postfix writes its own log (postlogd, 3.4+).
postconf -e maillog_file=/var/log/postfix.log
# Mailboxes for delivery tests (local(8) delivers to /var/mail/NAME).
for user in alice bob carol; do
    id "$user" >/dev/null 2>&1 || useradd --create-home --shell /usr/sbin/nologin "$user"
done
printf 'testbed\n' > /etc/mailname
# shellcheck disable=SC2016 # $myhostname is Postfix syntax, not shell
postconf -e myhostname=mx.testbed.example mydestination='$myhostname, localhost, testbed.example'
newaliases
cat > /usr/local/sbin/testbed-postfix-start <<'SCRIPT'
#!/bin/sh
# What the systemd unit does on Debian: prepare the chroot, then start.
set -e
/usr/lib/postfix/configure-instance.sh - >/dev/null 2>&1 || true
postfix start
SCRIPT
chmod 0755 /usr/local/sbin/testbed-postfix-start
# A local package repository of Postfix's own packages, from what debootstrap
# downloaded: installation tests install from it in a container without a
# network (deb [trusted=yes] file:/opt/mailops-packages ./).
repo=/opt/mailops-packages
mkdir -p "$repo"
cp /var/cache/apt/archives/postfix*.deb "$repo"/
for deb in "$repo"/*.deb; do
    dpkg-deb -f "$deb"
    echo "Filename: ./$(basename "$deb")"
    echo "Size: $(stat -c %s "$deb")"
    echo "SHA256: $(sha256sum "$deb" | cut -d' ' -f1)"
    echo
done > "$repo/Packages"
apt-get clean
rm -rf /var/lib/apt/lists/*
