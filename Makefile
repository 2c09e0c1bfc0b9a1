# mailops.postfix: the two entry points are `make demo` and `make test`.
# `make help` lists the targets (from the "##" comments below).
SHELL := /bin/bash
ROOT := $(CURDIR)
VENV := $(ROOT)/.venv
export PATH := $(VENV)/bin:$(PATH)
export CONTAINERS_CONF := $(ROOT)/.build/containers.conf
export ANSIBLE_COLLECTIONS_PATH := $(ROOT)/.build/collections
# Ansible's home (Molecule's and ansible-lint's collection cache) in .build too: there
# they find the link to this checkout below and use it as it is, instead of installing
# a copy into ~/.ansible that another checkout on the same machine would replace.
export ANSIBLE_HOME := $(ROOT)/.build
export ANSIBLE_FORCE_COLOR := false
export PY_COLORS := 0

.PHONY: help demo test lint sanity units molecule bench bench-fleet bootstrap images collection-link clean

## help: list the targets
help:
	@sed -n 's/^## //p' Makefile

## demo: the whole product on a local demo fleet (two MX hosts and a smarthost): playbooks/demo/run.sh
demo: images collection-link
	tests/testbed/testbed.sh demo-up
	playbooks/demo/run.sh

## test: every test stage (tests/run-all.sh, the one list of them), with a summary
test: bootstrap collection-link
	tests/run-all.sh

## lint: ansible-lint, production profile
lint: bootstrap collection-link
	tests/run-all.sh lint

## sanity: ansible-test sanity
sanity: bootstrap
	tests/run-all.sh sanity

## units: ansible-test units (pytest)
units: bootstrap
	tests/run-all.sh units

## molecule: every Molecule scenario on every platform; S=NAME for one scenario
molecule: bootstrap collection-link
	tests/run-all.sh $(if $(S),molecule:$(S),molecule)

## bench: every benchmark; each prints its result next to a floor measured in the same run
bench: images collection-link
	tests/benchmark/postconf.sh
	tests/benchmark/postfix_map.sh
	tests/benchmark/freeze.sh
	tests/benchmark/queue.sh
	tests/benchmark/base.sh
	tests/benchmark/info.sh
	tests/benchmark/fleet.sh

## bench-fleet: site.yml, freeze, thaw and report on 1, 5 and 20 containers, next to ping and a one-task playbook (docs/fleet.md)
bench-fleet: images collection-link
	tests/benchmark/fleet.sh

## docs: the collection docs site (antsibull-docs) and the next release's changelog; prints where they are
.PHONY: docs
docs: bootstrap collection-link
	tests/docs.sh

bootstrap:
	tests/testbed/bootstrap.sh

images: bootstrap
	tests/testbed/testbed.sh images

# Ansible finds this checkout as the collection mailops.postfix through this link.
collection-link:
	mkdir -p .build/collections/ansible_collections/mailops
	ln -sfn ../../../.. .build/collections/ansible_collections/mailops/postfix

## clean: remove the demo containers and .build
clean:
	tests/testbed/testbed.sh demo-down
	rm -rf .build
