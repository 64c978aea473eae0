#!/usr/bin/env bash
# OpenLDAP slapd on 127.0.0.1:50389, suffix dc=example,dc=org, admin cn=admin / secret, user alice / alicepw.
. "$(dirname "$0")/lib.bash"
DIR=$CI_ROOT/slapd
URL=ldap://127.0.0.1:50389
check() { ldapwhoami -x -H "$URL" -D uid=alice,ou=people,dc=example,dc=org -w alicepw; }
if check >/dev/null 2>&1; then echo "slapd: already up"; exit 0; fi
mkdir -p "$DIR/db"
cat >"$DIR/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile $DIR/slapd.pid
database mdb
maxsize 104857600
suffix "dc=example,dc=org"
rootdn "cn=admin,dc=example,dc=org"
rootpw secret
directory $DIR/db
CONF
start slapd slapd -d 0 -h "$URL/" -f "$DIR/slapd.conf"
wait_until 15 "slapd listening" ldapsearch -x -H "$URL" -b "" -s base
ldapadd -x -c -H "$URL" -D cn=admin,dc=example,dc=org -w secret >/dev/null 2>&1 <<LDIF || true
dn: dc=example,dc=org
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=people,dc=example,dc=org
objectClass: organizationalUnit
ou: people

dn: uid=alice,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: alice
cn: Alice
sn: Example
userPassword: alicepw
LDIF
wait_until 5 "slapd alice bind" check
