#!/usr/bin/env bash
# The containerized Postfix test bed.
#   testbed.sh images      build (or reuse) the Postfix images for every platform, bare and SQL variants too
#   testbed.sh demo-up     start the demo fleet: a pod without a network holding two MX
#                          hosts (Postfix 3.7 and 3.10) and a smarthost (make demo)
#   testbed.sh demo-down   remove the demo fleet, and the readme stage's container
#   testbed.sh readme-up   start the readme stage's single Postfix container (network none)
#   testbed.sh readme-down remove it
# Every command first writes .build/containers.conf, the project-local podman
# configuration that CONTAINERS_CONF points at (nothing under /etc is changed).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD=$ROOT/.build
export CONTAINERS_CONF=$BUILD/containers.conf
# Platforms: Debian suite → image name. Molecule and the demo use these names.
SUITES=(bookworm trixie)
IMAGE_REPO=localhost/mailops-postfix-testbed
# The demo fleet (playbooks/inventory/example): one pod, so its hosts share one loopback
# and nothing else. Container: suite, and the loopback address its Postfix listens on (the
# hosts' inventory says the same, base_inet_interfaces). The smarthost listens on 587, 465
# and 2587 of every address (molecule/site/files/smtp_endpoint.py, started by the demo).
DEMO_POD=mailops-demo
DEMO_HOSTS=("mailops-demo-mx1 bookworm 127.0.0.1" "mailops-demo-mx2 trixie [::1]" "mailops-demo-smarthost bookworm -")
# The readme stage's host (playbooks/inventory/demo.yml): the README's commands and
# YAML examples run against it.
README_NAME=mailops-postfix-demo
README_SUITE=bookworm
PACKAGES=postfix,postfix-pcre,postfix-lmdb,postfix-cdb,python3,python3-apt,procps,sudo,ssl-cert,ca-certificates,sasl2-bin,libsasl2-modules,python3-aiosmtpd,spamassassin,spamd,spamc,spamass-milter,opendkim,opendkim-tools,python3-dkim,perl-openssl-defaults,python3-cffi-backend
# The SQL variant of each image (molecule/sql): the same image plus Postfix's SQL
# clients and the database servers, which the scenario starts inside the Postfix
# container (no pod: the servers listen on its loopback and sockets, with no network).
# Built on the Postfix image with apt-get (about a minute; a debootstrap of its own took four).
SQL_IMAGE_REPO=localhost/mailops-postfix-testbed-sql
SQL_PACKAGES="postfix-sqlite postfix-mysql postfix-pgsql sqlite3 mariadb-server mariadb-client postgresql"

log() { echo "testbed: $*" >&2; }

write_containers_conf() {  # $1: OCI runtime
    local nofile nproc
    # podman's default ulimits can exceed the host's hard limits; stay below them.
    nofile=$(ulimit -Hn); [ "$nofile" = unlimited ] || [ "$nofile" -gt 10000 ] && nofile=10000
    nproc=$(ulimit -Hu); [ "$nproc" = unlimited ] || [ "$nproc" -gt 4096 ] && nproc=4096
    mkdir -p "$BUILD"
    cat > "$CONTAINERS_CONF" <<CONF
# Written by tests/testbed/testbed.sh for this host; do not edit.
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "$1"
CONF
}

mirror() {
    local uri
    uri=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)
    [ -n "$uri" ] || uri=$(grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{print $2}' | head -n1 || true)
    echo "${uri:-http://deb.debian.org/debian}"
}

recipe_hash() {  # the image is rebuilt when its recipe (packages, setup script) changes
    { echo "$PACKAGES"; cat tests/testbed/image-setup.sh; } | sha256sum | cut -c1-12
}

build_image() {  # $1: suite
    local suite=$1 tag rootfs
    tag="$IMAGE_REPO:$suite-$(recipe_hash)"
    if podman image exists "$tag"; then
        podman tag "$tag" "$IMAGE_REPO:$suite"
        return
    fi
    log "building $tag (debootstrap $suite, about a minute)"
    rootfs=$(mktemp -d "$BUILD/rootfs-$suite.XXXXXX")
    chmod 0755 "$rootfs"  # the chroot's /: maintainer scripts run commands as other users (spamassassin's)
    if ! debootstrap --variant=minbase --include="$PACKAGES" "$suite" "$rootfs" "$(mirror)" > "$BUILD/debootstrap-$suite.log" 2>&1; then
        tail -n 20 "$BUILD/debootstrap-$suite.log" >&2
        rm -rf "$rootfs"
        return 1
    fi
    cp tests/testbed/image-setup.sh "$rootfs/tmp/image-setup.sh"
    chroot "$rootfs" /bin/sh /tmp/image-setup.sh
    rm -f "$rootfs/tmp/image-setup.sh"
    tar -C "$rootfs" -c . | podman import --change 'CMD ["sleep", "infinity"]' - "$tag" >/dev/null 2>&1
    rm -rf "$rootfs"
    podman tag "$tag" "$IMAGE_REPO:$suite"
    # Drop images of older recipes for this suite (ignored while a container uses one).
    podman images --format '{{.Repository}}:{{.Tag}}' | grep "^$IMAGE_REPO:$suite-" \
        | grep -vx -e "$tag" -e "$IMAGE_REPO:$suite-bare-$(recipe_hash)" | xargs -r podman rmi >/dev/null 2>&1 || true
}

build_sql_image() {  # $1: suite. Needs a working runtime (select_runtime): the build runs apt-get in a container.
    local suite=$1 tag
    tag="$SQL_IMAGE_REPO:$suite-$({ recipe_hash; echo "$SQL_PACKAGES"; } | sha256sum | cut -c1-12)"
    if ! podman image exists "$tag"; then
        log "building $tag (the $suite image with $SQL_PACKAGES, about a minute)"
        # The build container alone has the host's network, to download the packages.
        mkdir -p "$BUILD/sql-image"
        cat > "$BUILD/sql-image/Containerfile" <<CONTAINERFILE
FROM $IMAGE_REPO:$suite-$(recipe_hash)
RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $SQL_PACKAGES \
    && apt-get clean && rm -rf /var/lib/apt/lists/*
CONTAINERFILE
        if ! podman build --pull=never --network host -t "$tag" "$BUILD/sql-image" \
                > "$BUILD/build-sql-$suite.log" 2>&1; then
            tail -n 20 "$BUILD/build-sql-$suite.log" >&2
            return 1
        fi
    fi
    podman tag "$tag" "$SQL_IMAGE_REPO:$suite"
    # Drop images of older recipes for this suite (ignored while a container uses one).
    podman images --format '{{.Repository}}:{{.Tag}}' | grep "^$SQL_IMAGE_REPO:$suite-" \
        | grep -vx -e "$tag" | xargs -r podman rmi >/dev/null 2>&1 || true
}

build_bare_image() {  # $1: suite. The same image without Postfix's packages, for installation tests.
    local suite=$1 tag builder=mailops-postfix-bare-build
    tag="$IMAGE_REPO:$suite-bare-$(recipe_hash)"
    if ! podman image exists "$tag"; then
        log "building $tag (Postfix removed; its packages stay in /opt/mailops-packages)"
        podman rm -f "$builder" >/dev/null 2>&1 || true
        podman run --name "$builder" --network none "$IMAGE_REPO:$suite" \
            dpkg --purge postfix-pcre postfix-lmdb postfix-cdb postfix >/dev/null
        podman commit -q "$builder" "$tag" >/dev/null
        podman rm "$builder" >/dev/null
    fi
    podman tag "$tag" "$IMAGE_REPO:$suite-bare"
}

select_runtime() {
    # crun is podman's default and works on pure cgroup v2 hosts; on hybrid
    # cgroup hosts it fails and runc works. Decide by trying, once per host.
    [ -f "$BUILD/runtime" ] && { write_containers_conf "$(cat "$BUILD/runtime")"; return; }
    local runtime
    for runtime in crun runc; do
        command -v "$runtime" >/dev/null || continue
        write_containers_conf "$runtime"
        if podman run --rm --network none "$IMAGE_REPO:${SUITES[0]}" true >/dev/null 2>&1; then
            echo "$runtime" > "$BUILD/runtime"
            log "podman runtime: $runtime"
            return
        fi
    done
    log "no OCI runtime can start a container here (tried crun, runc)"
    return 1
}

images() {
    [ -f "$CONTAINERS_CONF" ] || write_containers_conf runc  # import needs no runtime
    local suite
    for suite in "${SUITES[@]}"; do build_image "$suite"; done
    select_runtime
    for suite in "${SUITES[@]}"; do build_bare_image "$suite"; build_sql_image "$suite"; done
}

write_demo_env() {  # For a shell: ". .build/demo-env.sh", then ansible and ansible-playbook as the README shows.
    cat > "$BUILD/demo-env.sh" <<ENV
# Written by tests/testbed/testbed.sh demo-up. Source it: . .build/demo-env.sh
export PATH="$ROOT/.venv/bin:\$PATH"
export CONTAINERS_CONF="$CONTAINERS_CONF"
export ANSIBLE_COLLECTIONS_PATH="$BUILD/collections"
export ANSIBLE_INVENTORY="$ROOT/playbooks/inventory/example"
export ANSIBLE_CONNECTION_PLUGINS="$ROOT/tests/testbed/connection_plugins"
ENV
}

demo_up() {
    images
    demo_down_fleet
    # --share net: one loopback for the pod, each host with its own name, processes and files.
    podman pod create --name "$DEMO_POD" --network none --share net >/dev/null
    local entry name suite listen
    for entry in "${DEMO_HOSTS[@]}"; do
        read -r name suite listen <<< "$entry"
        podman run -d --pod "$DEMO_POD" --name "$name" --hostname "${name#mailops-demo-}.testbed.example" \
            --init "$IMAGE_REPO:$suite" sleep infinity >/dev/null
        # Ansible's remote temporary directory, made as Ansible wants it (else it warns).
        podman exec "$name" mkdir -p -m 0700 /root/.ansible/tmp
        [ "$listen" = - ] && continue
        # Two Postfix on one loopback cannot both listen on every address: each gets its
        # own before it starts, as its inventory has it (base_inet_interfaces).
        podman exec "$name" postconf -e "inet_interfaces=$listen"
        podman exec "$name" testbed-postfix-start >/dev/null
    done
    write_demo_env
    log "demo fleet up (pod $DEMO_POD: ${DEMO_HOSTS[*]%% *}); . .build/demo-env.sh for ansible against it"
}

demo_down_fleet() {
    podman pod rm -f "$DEMO_POD" >/dev/null 2>&1 || true
}

readme_up() {
    images
    podman rm -f "$README_NAME" >/dev/null 2>&1 || true
    podman run -d --name "$README_NAME" --hostname mx.testbed.example --network none --init \
        "$IMAGE_REPO:$README_SUITE" sleep infinity >/dev/null
    podman exec "$README_NAME" testbed-postfix-start
}

readme_down() {
    podman rm -f "$README_NAME" >/dev/null 2>&1 || true
}

demo_down() {
    demo_down_fleet
    readme_down
}

case "${1:-}" in
    images) images ;;
    demo-up) demo_up ;;
    demo-down) demo_down ;;
    readme-up) readme_up ;;
    readme-down) readme_down ;;
    *) echo "usage: $0 images|demo-up|demo-down|readme-up|readme-down" >&2; exit 2 ;;
esac
