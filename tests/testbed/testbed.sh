#!/usr/bin/env bash
# The containerized Postfix test bed.
#   testbed.sh images      build (or reuse) the Postfix images for every platform
#   testbed.sh demo-up     start the demo container (network none)
#   testbed.sh demo-down   remove it
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
DEMO_NAME=mailops-postfix-demo
DEMO_SUITE=bookworm
PACKAGES=postfix,postfix-pcre,postfix-lmdb,postfix-cdb,python3,python3-apt,procps,sudo,ssl-cert,ca-certificates,sasl2-bin,libsasl2-modules,python3-aiosmtpd

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
    for suite in "${SUITES[@]}"; do build_bare_image "$suite"; done
}

demo_up() {
    images
    podman rm -f "$DEMO_NAME" >/dev/null 2>&1 || true
    podman run -d --name "$DEMO_NAME" --hostname mx.testbed.example --network none --init \
        "$IMAGE_REPO:$DEMO_SUITE" sleep infinity >/dev/null
    podman exec "$DEMO_NAME" testbed-postfix-start
    # For a shell: ". .build/demo-env.sh", then the README's commands run as written.
    cat > "$BUILD/demo-env.sh" <<ENV
# Written by tests/testbed/testbed.sh demo-up. Source it: . .build/demo-env.sh
export PATH="$ROOT/.venv/bin:\$PATH"
export CONTAINERS_CONF="$CONTAINERS_CONF"
export ANSIBLE_COLLECTIONS_PATH="$BUILD/collections"
export ANSIBLE_INVENTORY="$ROOT/playbooks/inventory/demo.yml"
ENV
    log "demo container $DEMO_NAME is running Postfix; . .build/demo-env.sh for the README's commands"
}

demo_down() {
    podman rm -f "$DEMO_NAME" >/dev/null 2>&1 || true
}

case "${1:-}" in
    images) images ;;
    demo-up) demo_up ;;
    demo-down) demo_down ;;
    *) echo "usage: $0 images|demo-up|demo-down" >&2; exit 2 ;;
esac
