# mailops.postfix: the two entry points are `make demo` and `make test`.
SHELL := /bin/bash
ROOT := $(CURDIR)
VENV := $(ROOT)/.venv
export PATH := $(VENV)/bin:$(PATH)
export CONTAINERS_CONF := $(ROOT)/.build/containers.conf
export ANSIBLE_COLLECTIONS_PATH := $(ROOT)/.build/collections
export ANSIBLE_FORCE_COLOR := false
export PY_COLORS := 0
SCENARIOS := $(sort $(notdir $(patsubst %/molecule.yml,%,$(wildcard molecule/*/molecule.yml))))

.PHONY: demo test bench bootstrap images collection-link lint sanity units molecule clean

## demo: start a local Postfix container and run playbooks/demo.yml against it
demo: images collection-link
	tests/testbed/testbed.sh demo-up
	ansible-playbook -i playbooks/inventory/demo.yml playbooks/demo.yml

## test: lint, sanity, units and every Molecule scenario on every platform
test: images collection-link
	tests/run-all.sh $(SCENARIOS)

bootstrap:
	tests/testbed/bootstrap.sh

images: bootstrap
	tests/testbed/testbed.sh images

# Ansible finds this checkout as the collection mailops.postfix through this link.
collection-link:
	mkdir -p .build/collections/ansible_collections/mailops
	ln -sfn ../../../.. .build/collections/ansible_collections/mailops/postfix

lint: bootstrap collection-link
	ansible-lint

sanity: bootstrap
	tests/ansible-test.sh sanity

units: bootstrap
	tests/ansible-test.sh units

molecule: images collection-link
	for s in $(SCENARIOS); do molecule test -s $$s || exit 1; done

clean:
	tests/testbed/testbed.sh demo-down
	rm -rf .build

## bench: every benchmark; each prints its result next to a floor measured in the same run
bench: images collection-link
	tests/benchmark/postconf.sh
	tests/benchmark/postfix_map.sh
	tests/benchmark/freeze.sh
	tests/benchmark/queue.sh
