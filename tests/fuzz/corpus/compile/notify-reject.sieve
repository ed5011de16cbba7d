# seed: enotify (RFC 5435/5436), reject and ereject (RFC 5429)
require ["enotify", "reject", "ereject", "variables", "envelope"];
if header :matches "subject" "*" { set :encodeurl "s" "${1}"; }
if valid_notify_method "mailto:ops@example.net?subject=${s}" {
	notify :from "me@example.org" :importance "1" :options ["x=y"]
		:message "New: ${s}" "mailto:ops@example.net,desk@example.net?cc=a@example.net&body=Hi%0A";
}
if notify_method_capability :comparator "i;ascii-casemap" :is "mailto:a@example.net" "online" ["maybe", "yes"] {
	keep;
}
if envelope :is "from" "spammer@example.com" { reject text:
Go away.
.
; } elsif header :contains "x-spam" "yes" { ereject "No spam"; }
