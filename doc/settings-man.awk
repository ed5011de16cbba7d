# settings-man.awk: the engine settings of `sievec --settings` (limits.h's
# table) as roff for sift.conf(5), so the page lists every setting the
# code has. Input, two lines a setting:
#   max-cpu-time           default 30s (1..3600), also sieve_max_cpu_time
#       CPU seconds one script run may use
# Sizes that are whole KiB, MiB or GiB are written with K, M or G.

function roff(s) {
	gsub(/\\/, "\\e", s)
	gsub(/-/, "\\-", s)
	return s
}

function human(n,    u, i) {
	if (n !~ /^[0-9]+$/ || n == 0)
		return n
	u = "KMG"
	for (i = 3; i >= 1; i--)
		if (n % (1024 ^ i) == 0)
			return (n / (1024 ^ i)) substr(u, i, 1)
	return n
}

# "1048576" "1048576s" "\"+\"" -> the same with K/M/G where whole
function value(v,    s) {
	s = ""
	if (v ~ /s$/) { s = "s"; v = substr(v, 1, length(v) - 1) }
	return human(v) s
}

/^[^ ]/ {
	key = $1
	line = $0
	sub(/^[^ ]+ +default /, "", line)
	alias = ""
	if (match(line, /, also .*$/)) {
		alias = substr(line, RSTART + 7)
		line = substr(line, 1, RSTART - 1)
	}
	def = line
	range = ""
	if (match(line, / \([0-9]+\.\.[0-9]+\)$/)) {
		range = substr(line, RSTART + 2, RLENGTH - 3)
		def = substr(line, 1, RSTART - 1)
		split(range, b, /\.\./)
		range = value(b[1]) " to " value(b[2])
	}
	print ".TP"
	print ".B " roff(key)
	text = "Default: " roff(value(def))
	if (range != "")
		text = text " (" roff(range) ")"
	if (alias != "") {
		gsub(/\|/, ", ", alias)
		text = text "; also " roff(alias)
	}
	print text "."
	next
}

/^    / {
	help = substr($0, 5)
	help = toupper(substr(help, 1, 1)) substr(help, 2)
	help = roff(help)
	if (help ~ /^[.']/)
		help = "\\&" help
	print help "."
}
