#!/bin/bash
# session.sh: what the MTA tells sieve-deliver of the SMTP session reaches
# the scripts, through the environment test (RFC 5183 §4.1 remote-ip and
# remote-host).
#
#   options       --client-ip and --client-host
#   environment   CLIENT_ADDRESS and CLIENT_HOSTNAME (Postfix's local(8))
#   unknown       CLIENT_HOSTNAME=unknown (Postfix: the name did not
#                 verify) is no name: remote-host is ""
#   none          nothing told: both items are "" (and exist)

. "${srcdir:-$(dirname "$0")/../..}/tests/deliver/lib.sh"

user_setup "sift-s$$"

msg=$T/msg
message "$msg" "session test" 500

script='require ["environment", "fileinto"];
if allof (environment "remote-ip" "192.0.2.25",
          environment "remote-host" "mx.example.net") { fileinto "Both"; stop; }
if allof (environment "remote-ip" "192.0.2.25", environment "remote-host" "") {
	fileinto "IpOnly"; stop;
}
if allof (environment "remote-ip" "", environment "remote-host" "") { fileinto "None"; stop; }'

# outcome CASE WHAT FOLDER [ENV...] -- [OPTION...]
outcome() {
	local name=$1 what=$2 box=$3
	shift 3
	begin "$name" "$what -> filed into $box"
	reset_home
	set_script "$script"
	pre=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do pre+=("$1"); shift; done
	shift
	deliver "$@" <"$msg"
	pre=()
	expect_rc 0
	expect_delivered_once "$box" "$msg"
}

outcome options "--client-ip and --client-host" Both -- --client-ip 192.0.2.25 \
	--client-host mx.example.net
outcome environment "CLIENT_ADDRESS and CLIENT_HOSTNAME" Both \
	CLIENT_ADDRESS=192.0.2.25 CLIENT_HOSTNAME=mx.example.net --
outcome options-win "the options over the environment" Both \
	CLIENT_ADDRESS=198.51.100.1 CLIENT_HOSTNAME=other.example -- --client-ip 192.0.2.25 \
	--client-host mx.example.net
outcome unknown "CLIENT_HOSTNAME=unknown is no name" IpOnly \
	CLIENT_ADDRESS=192.0.2.25 CLIENT_HOSTNAME=unknown --
outcome none "nothing told: both items empty" None --

finish
