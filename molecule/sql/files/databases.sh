#!/bin/sh
# The scenario's databases, inside the Postfix container (no network):
#   databases.sh start   create MariaDB's and PostgreSQL's data directories once, start both servers, and create
#                        the database "mail" in each and in /var/lib/mailops-test/mail.sqlite, with the user postfix
#                        (password: $SQL_TEST_PASSWORD, from the environment, never on a command line)
#   databases.sh stop    stop both servers (a database that is down)
#   databases.sh insert ADDRESS GOTO   a row of every database's aliases table (while Postfix runs)
# Each database holds the domain of its own type (sqlite.example, mysql.example,
# pgsql.example) and its aliases, so that one lookup says which table answered;
# and the base role's application tables on trixie (vars/main.yml): PostgreSQL's
# mailbox_domains and users, MariaDB's forwards, for box.example.
set -eu
pg_version=$(ls /usr/lib/postgresql)

sql_rows() {  # $1: the type's domain
    cat <<SQL
CREATE TABLE domains (domain VARCHAR(255) PRIMARY KEY);
CREATE TABLE aliases (address VARCHAR(255), goto VARCHAR(255));
INSERT INTO domains VALUES ('$1');
INSERT INTO aliases VALUES ('info@$1', 'alice@testbed.example');
INSERT INTO aliases VALUES ('sales@$1', 'bob@testbed.example');
INSERT INTO aliases VALUES ('sales@$1', 'carol@testbed.example');
SQL
}

start() {
    [ -d /var/lib/mysql/mysql ] || mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null
    /etc/init.d/mariadb start >/dev/null
    [ -d "/etc/postgresql/$pg_version/main" ] || pg_createcluster "$pg_version" main >/dev/null
    pg_ctlcluster "$pg_version" main start
    [ -f /var/lib/mailops-test/mail.sqlite ] && return
    mariadb <<SQL
CREATE DATABASE mail;
CREATE USER 'postfix'@'localhost' IDENTIFIED BY '$SQL_TEST_PASSWORD';
GRANT SELECT, INSERT ON mail.* TO 'postfix'@'localhost';
USE mail;
$(sql_rows mysql.example)
CREATE TABLE forwards (source VARCHAR(255), destination VARCHAR(255));
INSERT INTO forwards VALUES ('hello@box.example', 'ann@box.example');
SQL
    su postgres -c 'psql -q -v ON_ERROR_STOP=1' <<SQL
CREATE USER postfix PASSWORD '$SQL_TEST_PASSWORD';
CREATE DATABASE mail;
\\c mail
$(sql_rows pgsql.example)
CREATE TABLE mailbox_domains (name VARCHAR(255) PRIMARY KEY);
CREATE TABLE users (email VARCHAR(255) PRIMARY KEY, maildir VARCHAR(255));
INSERT INTO mailbox_domains VALUES ('box.example');
INSERT INTO users VALUES ('ann@box.example', 'box.example/ann/');
GRANT SELECT ON domains, aliases, mailbox_domains, users TO postfix;
SQL
    mkdir -m 0755 /var/lib/mailops-test
    sql_rows sqlite.example | sqlite3 /var/lib/mailops-test/mail.sqlite
    chmod 0644 /var/lib/mailops-test/mail.sqlite
}

stop() {
    /etc/init.d/mariadb stop >/dev/null
    pg_ctlcluster "$pg_version" main stop
}

insert() {  # $1: local part, $2: goto; the row goes into every database, each in its own domain
    mariadb mail -e "INSERT INTO aliases VALUES ('$1@mysql.example', '$2')"
    su postgres -c "psql -q -d mail -c \"INSERT INTO aliases VALUES ('$1@pgsql.example', '$2')\""
    sqlite3 /var/lib/mailops-test/mail.sqlite "INSERT INTO aliases VALUES ('$1@sqlite.example', '$2')"
}

"$@"
